// Durability: an append-only journal (framed BSON records, group-committed with one fdatasync per tick),
// replayed at start, and compacted in the background into a snapshot written beside it. A `put` record carries
// the stored document's bytes as they are, both ways (no re-serialising on write, no decoding on replay).
import { promises as fsp, openSync, closeSync, fsyncSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import path from 'node:path'
import { BSON } from 'bson'
import type { Doc } from './values.js'
import { elements } from './bson-raw.js'

export type JournalRecord = Doc & { op: string }

const HEADER = 8
export const DESERIALIZE_OPTIONS = Object.freeze({ promoteLongs: false, promoteValues: false, promoteBuffers: false })

export function frame (rec: JournalRecord): Buffer {
  const body = BSON.serialize(rec, { ignoreUndefined: true })
  const out = Buffer.allocUnsafe(HEADER + body.length)
  out.writeUInt32LE(body.length, 0)
  out.writeUInt32LE(crc32(body), 4)
  out.set(body, HEADER)
  return out
}

/** Frames `{op: 'put', db, c, d}` around a document's existing BSON bytes (no re-serialisation). */
const putHeads = new Map<string, Uint8Array>()

/** `{op: 'put', db, c}` serialised once per namespace (every stored document's record starts with it). */
let lastHead: { db: string; c: string; head: Uint8Array } | null = null

function putHead (db: string, c: string): Uint8Array {
  // A bulk write puts thousands of documents into one namespace in a row.
  if (lastHead !== null && lastHead.db === db && lastHead.c === c) return lastHead.head
  const head = cachedPutHead(db, c)
  lastHead = { db, c, head }
  return head
}

function cachedPutHead (db: string, c: string): Uint8Array {
  const key = db + '\u0000' + c
  let head = putHeads.get(key)
  if (head === undefined) {
    if (putHeads.size > 1000) putHeads.clear()
    head = BSON.serialize({ op: 'put', db, c })
    putHeads.set(key, head)
  }
  return head
}

export function framePutRaw (db: string, c: string, raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(putFrameLength(db, c, raw))
  writePutFrame(out, 0, db, c, raw)
  return out
}

function putFrameLength (db: string, c: string, raw: Buffer): number {
  return HEADER + putHead(db, c).length + 3 + raw.length
}

/** Writes the put frame of `raw` at `at` in `out` (which has room for putFrameLength bytes there). */
function writePutFrame (out: Buffer, at: number, db: string, c: string, raw: Buffer): void {
  const head = putHead(db, c)
  // head without its trailing 0x00, then element 'd' (type 3) holding raw, then the closing 0x00.
  const bodyLen = head.length - 1 + 1 + 2 + raw.length + 1
  let o = at + HEADER
  out.set(head, o); o += head.length - 1
  out.writeInt32LE(bodyLen, at + HEADER)
  out[o++] = 3; out[o++] = 0x64; out[o++] = 0
  raw.copy(out, o); o += raw.length
  out[o] = 0
  out.writeUInt32LE(bodyLen, at)
  out.writeUInt32LE(crc32(out.subarray(at + HEADER, at + HEADER + bodyLen)), at + 4)
}

// Records wait for their commit in one buffer (an arena), written as it is: no buffer per record, no join before
// the write. Two arenas take turns, one filling while the other is written; one grown past ARENA_KEPT by a huge
// write is let go after it.
const ARENA_INITIAL = 1 << 20
const ARENA_KEPT = 16 << 20

/** Reads framed records; stops at the first torn or corrupt record and reports the valid length. */
export function readFrames (buf: Buffer, onRecord: (rec: JournalRecord) => void, onPut?: (db: string, c: string, doc: Buffer) => void): number {
  let off = 0
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off)
    const crc = buf.readUInt32LE(off + 4)
    if (len < 5 || off + HEADER + len > buf.length) break
    const body = buf.subarray(off + HEADER, off + HEADER + len)
    if (crc32(body) !== crc) break
    const put = onPut !== undefined ? rawPut(body) : null
    if (put !== null) (onPut as NonNullable<typeof onPut>)(put.db, put.c, put.d)
    else onRecord(BSON.deserialize(body, DESERIALIZE_OPTIONS) as JournalRecord)
    off += HEADER + len
  }
  return off
}

/** A `put` record's namespace and document bytes, read without decoding the document. */
function rawPut (body: Buffer): { db: string; c: string; d: Buffer } | null {
  const els = elements(body)
  const op = els.get('op'); const db = els.get('db'); const c = els.get('c'); const d = els.get('d')
  if (op === undefined || db === undefined || c === undefined || d === undefined) return null
  if (op[3] !== 2 || db[3] !== 2 || c[3] !== 2 || d[3] !== 3) return null
  const str = (e: [number, number, number, number]): string => body.toString('utf8', e[1] + 4, e[2] - 1)
  if (str(op) !== 'put') return null
  return { db: str(db), c: str(c), d: body.subarray(d[1], d[2]) }
}

export function journalName (gen: number): string { return `journal-${String(gen).padStart(8, '0')}.log` }
export function snapshotName (gen: number): string { return `snapshot-${String(gen).padStart(8, '0')}.bson` }

/** Finds the newest complete snapshot generation and the journals to replay after it. */
export async function listGenerations (dir: string): Promise<{ snapshotGen: number; journals: number[] }> {
  const names = await fsp.readdir(dir)
  const snaps = names.map((n) => /^snapshot-(\d+)\.bson$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1]))
  const snapshotGen = snaps.length > 0 ? Math.max(...snaps) : 0
  const journals = names.map((n) => /^journal-(\d+)\.log$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1]))
    .filter((g) => g >= snapshotGen).sort((a, b) => a - b)
  return { snapshotGen, journals }
}

export class Journal {
  private readonly dir: string
  gen: number
  /** The open journal file and where its last whole record ends. */
  private file: JournalFile | null = null
  /** Set when a failed write could not be cut off the file: no later commit can be made durable. */
  private broken: Error | null = null
  private arena: Buffer = Buffer.allocUnsafeSlow(ARENA_INITIAL)
  private used = 0
  /** The arena last written, free for reuse once that write is done (null while it is in flight). */
  private spare: Buffer | null = null
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = []
  private flushing: Promise<void> | null = null
  private scheduled = false
  bytes = 0

  constructor (dir: string, gen: number) {
    this.dir = dir
    this.gen = gen
  }

  async open (): Promise<void> {
    this.file = await openJournalFile(path.join(this.dir, journalName(this.gen)))
    this.bytes = this.file.end
  }

  /** Queues a record; it is durable once the promise from `commit()` resolves. */
  append (rec: JournalRecord): void {
    this.appendFrame(frame(rec))
  }

  appendFrame (f: Buffer): void {
    const at = this.reserve(f.length) // first: it may move the records to a bigger arena
    f.copy(this.arena, at)
  }

  /** Queues a `put` record of a document's bytes (framed in place, like `append(frame(...))` but without copies). */
  appendPut (db: string, c: string, raw: Buffer): void {
    const at = this.reserve(putFrameLength(db, c, raw)) // first: it may move the records to a bigger arena
    writePutFrame(this.arena, at, db, c, raw)
  }

  /** Room for n more bytes in the arena; returns where they go. */
  private reserve (n: number): number {
    if (this.used + n > this.arena.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.arena.length * 2, this.used + n))
      this.arena.copy(bigger, 0, 0, this.used)
      this.arena = bigger
    }
    const at = this.used
    this.used += n
    this.bytes += n
    return at
  }

  /** Group commit: every record appended in this tick goes out with a single write + fdatasync. */
  commit (): Promise<void> {
    if (this.broken !== null) return Promise.reject(this.broken)
    if (this.used === 0 && this.flushing === null) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => { this.scheduled = false; void this.flushLoop() })
      }
    })
  }

  private async flushLoop (): Promise<void> {
    // One write at a time: wait out the one in flight (again, if another flush started meanwhile).
    while (this.flushing !== null) await this.flushing.catch(() => {})
    if (this.waiters.length === 0) return
    const written = this.arena
    const length = this.used
    const waiters = this.waiters
    this.arena = this.spare ?? Buffer.allocUnsafeSlow(ARENA_INITIAL)
    this.spare = null
    this.used = 0
    this.waiters = []
    const file = this.file
    this.flushing = (async () => {
      if (this.broken !== null) throw this.broken
      if (length > 0 && file !== null) await this.writeAll(file, written, length)
    })()
    try {
      await this.flushing
      for (const w of waiters) w.resolve()
    } catch (err) {
      for (const w of waiters) w.reject(err)
    } finally {
      this.flushing = null
      this.spare = written.length <= ARENA_KEPT ? written : null
    }
    if (this.waiters.length > 0) void this.flushLoop()
  }

  /**
   * Writes `length` bytes of `buf` after the file's last whole record, then fdatasync. A short write is continued;
   * a failed one is cut off the file again, so that records committed later follow a whole record (replay stops
   * at the first torn one). If even that fails, the journal refuses every later commit.
   */
  private async writeAll (file: JournalFile, buf: Buffer, length: number): Promise<void> {
    const start = file.end
    try {
      let done = 0
      while (done < length) {
        const { bytesWritten } = await file.fh.write(buf, done, length - done)
        if (bytesWritten <= 0) throw new Error('journal write made no progress')
        done += bytesWritten
      }
      await file.fh.datasync()
      file.end = start + length
    } catch (err) {
      try {
        await file.fh.truncate(start)
      } catch (cutErr) {
        this.broken = new Error(`journal write failed and its torn bytes could not be removed (${(cutErr as Error).message}); no later write can be made durable`)
      }
      throw err
    }
  }

  /**
   * Opens journal `gen` and switches to it; the caller captures state right after this resolves. Records still
   * pending go to the new file: they are also in the snapshot, and replaying a record twice is harmless.
   */
  async rotateTo (gen: number): Promise<void> {
    const next = await openJournalFile(path.join(this.dir, journalName(gen)))
    const old = this.file
    this.file = next
    this.gen = gen
    this.bytes = 0
    void (async () => { await this.flushing?.catch(() => {}); await old?.fh.close() })()
  }

  async drain (): Promise<void> {
    while (this.used > 0 || this.flushing !== null || this.waiters.length > 0) {
      if (this.flushing !== null) await this.flushing.catch(() => {})
      else await this.commit()
    }
  }

  async close (): Promise<void> {
    try {
      await this.drain()
    } finally {
      await this.file?.fh.close()
      this.file = null
    }
  }
}

interface JournalFile { fh: fsp.FileHandle; end: number }

async function openJournalFile (name: string): Promise<JournalFile> {
  // Append mode: every write lands at the end, also after a failed write was cut off.
  const fh = await fsp.open(name, 'a')
  return { fh, end: (await fh.stat()).size }
}

/** Writes a snapshot of framed records atomically (tmp file, fsync, rename, directory fsync). Yields between chunks. */
export async function writeSnapshot (dir: string, gen: number, frames: Iterable<Buffer>): Promise<number> {
  const tmp = path.join(dir, snapshotName(gen) + '.tmp')
  const fh = await fsp.open(tmp, 'w')
  let total = 0
  try {
    let chunk: Buffer[] = []
    let size = 0
    let n = 0
    for (const f of frames) {
      chunk.push(f); size += f.length; total += f.length
      if (size > 4 * 1024 * 1024) { await fh.write(Buffer.concat(chunk)); chunk = []; size = 0 }
      if (++n % 2000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    if (chunk.length > 0) await fh.write(Buffer.concat(chunk))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fsp.rename(tmp, path.join(dir, snapshotName(gen)))
  syncDir(dir)
  return total
}

export function syncDir (dir: string): void {
  // fsync on the directory persists the rename on Linux; best effort on filesystems that refuse it.
  try { const fd = openSync(dir, 'r'); try { fsyncSync(fd) } finally { closeSync(fd) } } catch {}
}

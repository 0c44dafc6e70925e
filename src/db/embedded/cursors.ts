// Server-side cursors: remaining results held by reference (stored documents as their bytes, decoded one batch
// at a time), handed out in batches, reaped after idle timeout.
import { BSON, Long } from 'bson'
import { decode, type StoredDoc } from './stored-doc.js'
import type { Doc } from './values.js'

/** A result: a computed document, or a stored one (its bytes as a Latin-1 string). */
export type CursorItem = Doc | StoredDoc

/** A batch of stored documents, unprojected: the reply carries their bytes as they are (wire-protocol splices them). */
export class RawBatch {
  constructor (readonly docs: readonly StoredDoc[]) {}
  get length (): number { return this.docs.length }
}

const MAX_BATCH_BYTES = 15 * 1024 * 1024
const DEFAULT_FIRST_BATCH = 101
export const CURSOR_TIMEOUT_MS = 10 * 60 * 1000

interface OpenCursor { ns: string; docs: readonly CursorItem[]; pos: number; project: ((d: Doc) => Doc) | null; lastUsed: number }

export class CursorManager {
  private readonly open = new Map<bigint, OpenCursor>()
  private nextId = BigInt(Date.now()) * 1000n
  private timer: NodeJS.Timeout | null = null
  timeoutMs = CURSOR_TIMEOUT_MS

  start (): void {
    this.timer = setInterval(() => this.reap(), 60_000)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.open.clear()
  }

  reap (now = Date.now()): void {
    for (const [id, c] of this.open) if (now - c.lastUsed > this.timeoutMs) this.open.delete(id)
  }

  private take (c: OpenCursor, batchSize: number | undefined): Doc[] | RawBatch {
    const max = batchSize !== undefined && batchSize > 0 ? batchSize : Infinity
    if (c.project === null && typeof c.docs[c.pos] === 'string') return this.takeRaw(c, max)
    const out: Doc[] = []
    let bytes = 0
    while (c.pos < c.docs.length && out.length < max) {
      const item = c.docs[c.pos] as CursorItem
      const raw = typeof item === 'string' ? decode(item) : item
      const d = c.project !== null ? c.project(raw) : raw
      if (max === Infinity || out.length > 0) {
        bytes += typeof item === 'string' && c.project === null ? item.length : BSON.calculateObjectSize(d)
        if (bytes > MAX_BATCH_BYTES && out.length > 0) break
      }
      out.push(d)
      c.pos++
    }
    return out
  }

  private takeRaw (c: OpenCursor, max: number): RawBatch {
    const out: StoredDoc[] = []
    let bytes = 0
    while (c.pos < c.docs.length && out.length < max) {
      const item = c.docs[c.pos]
      if (typeof item !== 'string') break
      bytes += item.length
      if (bytes > MAX_BATCH_BYTES && out.length > 0) break
      out.push(item)
      c.pos++
    }
    return new RawBatch(out)
  }

  /** First batch; registers a cursor only if results remain. */
  first (ns: string, docs: readonly CursorItem[], project: ((d: Doc) => Doc) | null, batchSize: number | undefined, singleBatch = false): Doc {
    const c: OpenCursor = { ns, docs, pos: 0, project, lastUsed: Date.now() }
    const firstBatch = this.take(c, batchSize ?? DEFAULT_FIRST_BATCH)
    let id = 0n
    if (!singleBatch && c.pos < docs.length) {
      id = ++this.nextId
      this.open.set(id, c)
    }
    return { cursor: { firstBatch, id: Long.fromBigInt(id), ns }, ok: 1 }
  }

  more (id: bigint, batchSize: number | undefined): { batch: Doc[] | RawBatch; ns: string; exhausted: boolean } | null {
    const c = this.open.get(id)
    if (c === undefined) return null
    c.lastUsed = Date.now()
    const batch = this.take(c, batchSize)
    const exhausted = c.pos >= c.docs.length
    if (exhausted) this.open.delete(id)
    return { batch, ns: c.ns, exhausted }
  }

  kill (id: bigint): boolean { return this.open.delete(id) }
  get size (): number { return this.open.size }
}

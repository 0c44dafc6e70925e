// The store's state: databases → collections, every change mirrored into the journal; replay, snapshots, TTL.
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { Collection } from './collection.js'
import { commandError } from './errors.js'
import { frame, framePutRaw, Journal, journalName, listGenerations, readFrames, snapshotName, writeSnapshot, type JournalRecord } from './journal.js'
import { toBytes, type StoredDoc } from './stored-doc.js'
import type { IndexSpec } from './sorted-index.js'
import type { Doc } from './values.js'

const COMPACT_AT_BYTES = 64 * 1024 * 1024

export class Engine {
  readonly dbs = new Map<string, Map<string, Collection>>()
  private journal: Journal | null = null
  private replaying = false
  private compacting: Promise<void> | null = null
  private readonly dir: string | null
  private readonly logger: Logger | undefined
  compactAtBytes = COMPACT_AT_BYTES
  private lastSnapshotBytes = 0

  constructor (dir: string | null, logger?: Logger) {
    this.dir = dir
    this.logger = logger
  }

  /** Loads the newest snapshot, replays the journals after it, and opens a fresh journal generation. */
  async open (): Promise<void> {
    if (this.dir === null) return
    const { snapshotGen, journals } = await listGenerations(this.dir)
    this.replaying = true
    let replayed = 0
    try {
      if (snapshotGen > 0) {
        const snap = await fsp.readFile(path.join(this.dir, snapshotName(snapshotGen)))
        this.lastSnapshotBytes = snap.length
        readFrames(snap, (r) => this.apply(r), (db, c, d) => this.applyPut(db, c, d))
      }
      for (const g of journals) {
        const buf = await fsp.readFile(path.join(this.dir, journalName(g)))
        const valid = readFrames(buf, (r) => { this.apply(r); replayed++ }, (db, c, d) => { this.applyPut(db, c, d); replayed++ })
        if (valid < buf.length) this.logger?.warn({ journal: journalName(g), validBytes: valid, bytes: buf.length }, 'journal ends with a torn record; ignoring the unacknowledged tail')
      }
    } finally {
      this.replaying = false
    }
    const gen = Math.max(snapshotGen, ...journals, 0) + 1
    this.journal = new Journal(this.dir, gen)
    await this.journal.open()
    if (replayed > 0) this.compactSoon()
  }

  async close (): Promise<void> {
    await this.compacting?.catch(() => {})
    await this.journal?.close()
  }

  /** Resolves once every change made so far is on disk. */
  commit (): Promise<void> {
    const j = this.journal
    if (j === null) return Promise.resolve()
    const p = j.commit()
    // Amortised: rewrite the snapshot only once the journal has grown as large as the snapshot itself.
    if (j.bytes > Math.max(this.compactAtBytes, this.lastSnapshotBytes)) this.compactSoon()
    return p
  }

  private log (rec: JournalRecord): void {
    if (!this.replaying) this.journal?.append(rec)
  }

  compactSoon (): void {
    if (this.compacting !== null || this.journal === null || this.dir === null) return
    this.compacting = this.compact().catch((err: unknown) => {
      this.logger?.error({ err }, 'embedded store snapshot compaction failed; the journal still holds every write')
    }).finally(() => { this.compacting = null })
  }

  /** Background compaction: switch journals, capture the stored documents (immutable strings), write them out. */
  async compact (): Promise<void> {
    const journal = this.journal
    const dir = this.dir
    if (journal === null || dir === null) return
    const gen = journal.gen + 1
    await journal.rotateTo(gen)
    const captured: Array<{ c: Collection; specs: IndexSpec[]; docs: StoredDoc[] }> = []
    for (const colls of this.dbs.values()) {
      for (const c of colls.values()) captured.push({ c, specs: [...c.indexes.values()].map((i) => i.spec), docs: [...c.raw.values()] })
    }
    function * frames (): Generator<Buffer> {
      for (const { c, specs, docs } of captured) {
        yield frame({ op: 'cc', db: c.db, c: c.name })
        for (const spec of specs) yield frame({ op: 'ci', db: c.db, c: c.name, spec: spec as unknown as Doc })
        for (const d of docs) yield framePutRaw(c.db, c.name, toBytes(d))
      }
    }
    this.lastSnapshotBytes = await writeSnapshot(dir, gen, frames())
    for (const name of await fsp.readdir(dir)) {
      const m = /^(snapshot|journal)-(\d+)\.(bson|log)$/.exec(name)
      if (m !== null && Number(m[2]) < gen) await fsp.rm(path.join(dir, name), { force: true })
    }
    this.logger?.debug({ gen }, 'embedded store snapshot written')
  }

  /** Replays a `put` record from its document bytes (kept as they are). */
  applyPut (db: string, c: string, doc: Buffer): void {
    (this.collection(db, c, true) as Collection).putBytes(doc, false)
  }

  /** Replays one journal record (idempotent). */
  apply (r: JournalRecord): void {
    const db = String(r.db)
    const c = String(r.c)
    switch (r.op) {
      case 'cc': this.collection(db, c, true); break
      case 'dc': this.dropCollection(db, c); break
      case 'dd': this.dropDatabase(db); break
      case 'put': (this.collection(db, c, true) as Collection).put(r.d as Doc, false); break
      case 'del': this.collection(db, c, false)?.removeById(r.id); break
      case 'ci': { const coll = this.collection(db, c, true) as Collection; const spec = r.spec as unknown as IndexSpec; if (!coll.indexes.has(spec.name)) coll.addIndex(normaliseSpec(spec), false); break }
      case 'di': this.collection(db, c, false)?.indexes.delete(String(r.name)); break
      case 'cm': { const ix = this.collection(db, c, false)?.indexes.get(String(r.name)); if (ix !== undefined) ix.spec.expireAfterSeconds = Number(r.expireAfterSeconds); break }
      default: throw new Error(`unknown journal record ${String(r.op)}`)
    }
  }

  collection (db: string, name: string, create: boolean): Collection | undefined {
    let colls = this.dbs.get(db)
    if (colls === undefined) {
      if (!create) return undefined
      colls = new Map()
      this.dbs.set(db, colls)
    }
    let c = colls.get(name)
    if (c === undefined && create) {
      c = new Collection(db, name)
      colls.set(name, c)
      this.log({ op: 'cc', db, c: name })
    }
    return c
  }

  dropCollection (db: string, name: string): boolean {
    const colls = this.dbs.get(db)
    if (colls?.delete(name) !== true) return false
    if (colls.size === 0) this.dbs.delete(db)
    this.log({ op: 'dc', db, c: name })
    return true
  }

  dropDatabase (db: string): void {
    if (this.dbs.delete(db)) this.log({ op: 'dd', db, c: '' })
  }

  /** Stores (inserts or replaces) a decoded document; returns the bytes stored. */
  put (c: Collection, doc: Doc, check = true): Buffer {
    const bytes = c.put(doc, check)
    this.logPut(c, bytes)
    return bytes
  }

  /** Inserts a decoded document (E11000 if its _id exists); returns the bytes stored. */
  insertNew (c: Collection, doc: Doc): Buffer {
    const bytes = c.insertNew(doc)
    this.logPut(c, bytes)
    return bytes
  }

  /** Inserts a document given as complete BSON bytes with an _id (the client's, journaled as they are); returns the _id. */
  insertBytes (c: Collection, bytes: Buffer, known?: Doc): unknown {
    const id = c.putBytes(bytes, true, true, known)
    this.logPut(c, bytes)
    return id
  }

  private logPut (c: Collection, bytes: Buffer): void {
    if (!this.replaying && this.journal !== null) this.journal.appendPut(c.db, c.name, bytes)
  }

  remove (c: Collection, id: unknown): boolean {
    const ok = c.removeById(id)
    if (ok) this.log({ op: 'del', db: c.db, c: c.name, id })
    return ok
  }

  createIndex (c: Collection, spec: IndexSpec): void {
    c.addIndex(normaliseSpec(spec))
    this.log({ op: 'ci', db: c.db, c: c.name, spec: spec as unknown as Doc })
  }

  dropIndex (c: Collection, name: string): void {
    if (!c.indexes.delete(name)) throw commandError('IndexNotFound', `index not found with name [${name}]`)
    this.log({ op: 'di', db: c.db, c: c.name, name })
  }

  setExpireAfter (c: Collection, name: string, seconds: number): void {
    const ix = c.indexes.get(name)
    if (ix === undefined) throw commandError('IndexNotFound', `cannot find index ${name} for ns ${c.ns}`)
    ix.spec.expireAfterSeconds = seconds
    this.log({ op: 'cm', db: c.db, c: c.name, name, expireAfterSeconds: seconds })
  }

  /** One TTL pass, like mongod's TTLMonitor: removes documents whose indexed date is past expireAfterSeconds. */
  runTtl (now = Date.now()): number {
    let removed = 0
    for (const colls of this.dbs.values()) {
      for (const c of colls.values()) {
        for (const ix of c.indexes.values()) {
          const exp = ix.spec.expireAfterSeconds
          if (exp === undefined || ix.fields.length !== 1) continue
          const cutoff = new Date(now - exp * 1000)
          const min = new Date(-8.64e15)
          const desc = ix.dirs[0] === -1
          const ids = new Set<string>()
          // Both bounds are Dates, so the range holds only Date keys (an array of dates expires with its earliest).
          for (const id of ix.scan(desc ? [cutoff] : [min], true, desc ? [min] : [cutoff], true, 1)) ids.add(id)
          for (const id of ids) {
            const doc = c.docs.get(id)
            if (doc !== undefined && this.remove(c, doc._id)) removed++
          }
        }
      }
    }
    return removed
  }
}

export function normaliseSpec (spec: IndexSpec): IndexSpec {
  const key: Record<string, 1 | -1> = {}
  for (const [k, v] of Object.entries(spec.key)) key[k] = Number(v) === -1 ? -1 : 1
  const out: IndexSpec = { name: spec.name, key }
  if (spec.unique === true) out.unique = true
  if (spec.sparse === true) out.sparse = true
  if (spec.expireAfterSeconds !== undefined && spec.expireAfterSeconds !== null) out.expireAfterSeconds = Number(spec.expireAfterSeconds)
  if (spec.partialFilterExpression !== undefined) out.partialFilterExpression = spec.partialFilterExpression
  return out
}

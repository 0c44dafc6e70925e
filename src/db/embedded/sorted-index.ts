// An ordered index: a list of sorted chunks (a flat B-tree), so inserts and deletes stay cheap at a million entries.
// Entries are (key, document key) pairs ordered by key then document key, where the key is an order-preserving
// string (index-key.ts): every comparison is a native string compare, and no entry needs an object of its own.
import { getPath, type Doc } from './values.js'
import { compileFilter, type Matcher } from './query-planner.js'
import { AFTER_PREFIX, encodeKey } from './index-key.js'

export interface IndexSpec {
  name: string
  key: Record<string, 1 | -1>
  unique?: boolean
  expireAfterSeconds?: number
  sparse?: boolean
  partialFilterExpression?: Doc
}

/** Parallel arrays: keys[i] is the encoded key of the document whose map key is ids[i]. */
interface Chunk { keys: string[]; ids: string[] }

// Small chunks: an insert shifts at most 2 * CHUNK pointers; the chunk search is a binary search over lastKeys.
const CHUNK = 128

export class SortedIndex {
  readonly spec: IndexSpec
  readonly fields: string[]
  readonly dirs: number[]
  private chunks: Chunk[] = [{ keys: [], ids: [] }]
  // Each chunk's last entry, beside the chunks: the chunk search then touches one array and the key strings only
  // (at a million entries it is bound by cache misses, not by comparisons).
  private lastKeys: string[] = ['']
  private lastIds: string[] = ['']
  private readonly partial: Matcher | null
  private readonly scratch: unknown[]
  size = 0
  /** Some document had an array on an indexed field (entries may repeat a document). */
  multikey = false

  constructor (spec: IndexSpec) {
    this.spec = spec
    this.fields = Object.keys(spec.key)
    this.dirs = this.fields.map((f) => spec.key[f] === -1 ? -1 : 1)
    this.partial = spec.partialFilterExpression !== undefined ? compileFilter(spec.partialFilterExpression) : null
    this.scratch = new Array(this.fields.length)
  }

  /**
   * Key values of a document in index field order (a missing field is null); an array value on one field fans out
   * into one tuple per distinct element. Empty for a document a sparse or partial index leaves out.
   */
  tuplesFor (doc: Doc): unknown[][] {
    const out: unknown[][] = []
    this.fanOut(doc, false, (vals) => { out.push(vals.slice()) })
    return out
  }

  /** Encoded keys of a document, one per tuple of tuplesFor (duplicates removed). */
  keysFor (doc: Doc): string[] {
    const out: string[] = []
    this.fanOut(doc, true, (vals) => {
      const k = encodeKey(vals, this.dirs)
      if (!out.includes(k)) out.push(k)
    })
    return out
  }

  /** The key of a value tuple, or of a prefix of the fields. */
  encode (values: readonly unknown[]): string { return encodeKey(values, this.dirs) }

  /** The tuple of `doc` that encodes to `key` (for error messages: keys are never decoded). */
  tupleOf (doc: Doc, key: string): unknown[] | undefined {
    return this.tuplesFor(doc).find((t) => this.encode(t) === key)
  }

  private fanOut (doc: Doc, scratch: boolean, emit: (vals: unknown[]) => void): void {
    if (this.partial !== null && !this.partial(doc)) return
    const n = this.fields.length
    const vals = scratch ? this.scratch : new Array<unknown>(n)
    let arrayAt = -1
    let present = false
    for (let i = 0; i < n; i++) {
      const v = getPath(doc, this.fields[i] as string)
      if (v !== undefined) present = true
      vals[i] = v === undefined ? null : v
      if (arrayAt < 0 && Array.isArray(v)) arrayAt = i
    }
    if (this.spec.sparse === true && !present) return
    if (arrayAt < 0) { emit(vals); return }
    this.multikey = true
    const arr = vals[arrayAt] as unknown[]
    if (arr.length === 0) { vals[arrayAt] = null; emit(vals); return }
    // Distinct elements only: equal elements give equal keys.
    const seen = new Set<string>()
    for (const el of arr) {
      const k = encodeKey([el], [1])
      if (seen.has(k)) continue
      seen.add(k)
      vals[arrayAt] = el
      emit(vals)
    }
  }

  private findChunk (key: string, id: string): number {
    const lastKeys = this.lastKeys
    let lo = 0; let hi = lastKeys.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const k = lastKeys[mid] as string
      if (k < key || (k === key && (this.lastIds[mid] as string) < id)) lo = mid + 1; else hi = mid
    }
    return lo
  }

  private setLast (ci: number): void {
    const ch = this.chunks[ci] as Chunk
    const n = ch.keys.length
    this.lastKeys[ci] = n > 0 ? ch.keys[n - 1] as string : ''
    this.lastIds[ci] = n > 0 ? ch.ids[n - 1] as string : ''
  }

  private static lowerIn (ch: Chunk, key: string, id: string): number {
    const keys = ch.keys
    let lo = 0; let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const k = keys[mid] as string
      if (k < key || (k === key && (ch.ids[mid] as string) < id)) lo = mid + 1; else hi = mid
    }
    return lo
  }

  insert (key: string, id: string): void {
    const ci = this.findChunk(key, id)
    const ch = this.chunks[ci] as Chunk
    const i = SortedIndex.lowerIn(ch, key, id)
    ch.keys.splice(i, 0, key)
    ch.ids.splice(i, 0, id)
    this.size++
    if (ch.keys.length > CHUNK * 2) {
      this.chunks.splice(ci, 1,
        { keys: ch.keys.slice(0, CHUNK), ids: ch.ids.slice(0, CHUNK) },
        { keys: ch.keys.slice(CHUNK), ids: ch.ids.slice(CHUNK) })
      this.lastKeys.splice(ci, 0, '')
      this.lastIds.splice(ci, 0, '')
      this.setLast(ci)
      this.setLast(ci + 1)
    } else if (i === ch.keys.length - 1) {
      this.setLast(ci)
    }
  }

  remove (key: string, id: string): boolean {
    const ci = this.findChunk(key, id)
    const ch = this.chunks[ci] as Chunk
    const i = SortedIndex.lowerIn(ch, key, id)
    if (ch.keys[i] !== key || ch.ids[i] !== id) return false
    ch.keys.splice(i, 1)
    ch.ids.splice(i, 1)
    this.size--
    if (ch.keys.length === 0 && this.chunks.length > 1) {
      this.chunks.splice(ci, 1)
      this.lastKeys.splice(ci, 1)
      this.lastIds.splice(ci, 1)
    } else if (i === ch.keys.length) {
      this.setLast(ci)
    }
    return true
  }

  /** Moves a document from its old keys to its new ones; nothing to do when they are the same (the usual update). */
  replace (id: string, oldKeys: readonly string[], newKeys: readonly string[]): void {
    if (oldKeys.length === newKeys.length && oldKeys.every((k, i) => newKeys[i] === k)) return
    for (const k of oldKeys) if (!newKeys.includes(k)) this.remove(k, id)
    for (const k of newKeys) if (!oldKeys.includes(k)) this.insert(k, id)
  }

  clear (): void { this.chunks = [{ keys: [], ids: [] }]; this.lastKeys = ['']; this.lastIds = ['']; this.size = 0 }

  /** Document keys of the entries whose key equals `key` (for unique checks). */
  idsWithKey (key: string): string[] {
    const out: string[] = []
    const chunks = this.chunks
    // Keys of one index all hold every field, so a key that starts with `key` is `key`.
    for (let ci = this.firstChunkFrom(key); ci < chunks.length; ci++) {
      const ch = chunks[ci] as Chunk
      for (let i = lowerKey(ch.keys, key); i < ch.keys.length; i++) {
        if (ch.keys[i] !== key) return out
        out.push(ch.ids[i] as string)
      }
    }
    return out
  }

  /** The first chunk whose last key is >= `from`. */
  private firstChunkFrom (from: string): number {
    const lastKeys = this.lastKeys
    let a = 0; let b = lastKeys.length - 1
    while (a < b) {
      const m = (a + b) >> 1
      if ((lastKeys[m] as string) < from) a = m + 1; else b = m
    }
    return a
  }

  /**
   * Document keys of the entries between two bounds on a prefix of the fields (value tuples in index order,
   * compared on their first `lo.length`/`hi.length` fields), forwards (dir 1) or backwards (dir -1). Undefined = open.
   *
   * Keys are prefix-free per field, so for a bound B on a prefix: an entry equals B on that prefix iff its key starts
   * with enc(B); otherwise it compares with B as its key compares with enc(B). The bounds therefore become one
   * half-open string range [from, to): an exclusive lower bound or an inclusive upper bound is enc(B) + AFTER_PREFIX,
   * which is above every key starting with enc(B) and below every larger key.
   */
  * scan (lo: unknown[] | undefined, loInc: boolean, hi: unknown[] | undefined, hiInc: boolean, dir: 1 | -1): Generator<string> {
    if (this.size === 0) return
    const from = lo === undefined ? undefined : loInc ? this.encode(lo) : this.encode(lo) + AFTER_PREFIX
    const to = hi === undefined ? undefined : hiInc ? this.encode(hi) + AFTER_PREFIX : this.encode(hi)
    const chunks = this.chunks
    if (dir === 1) {
      for (let ci = from === undefined ? 0 : this.firstChunkFrom(from); ci < chunks.length; ci++) {
        const { keys, ids } = chunks[ci] as Chunk
        for (let i = from === undefined ? 0 : lowerKey(keys, from); i < keys.length; i++) {
          if (to !== undefined && (keys[i] as string) >= to) return
          yield ids[i] as string
        }
      }
    } else {
      let ci = chunks.length - 1
      if (to !== undefined) {
        // The last chunk whose first key is < `to`.
        let a = 0; let b = chunks.length - 1
        while (a < b) { const m = (a + b + 1) >> 1; if (((chunks[m] as Chunk).keys[0] as string) >= to) b = m - 1; else a = m }
        ci = a
      }
      for (; ci >= 0; ci--) {
        const { keys, ids } = chunks[ci] as Chunk
        for (let i = to === undefined ? keys.length - 1 : lowerKey(keys, to) - 1; i >= 0; i--) {
          if (from !== undefined && (keys[i] as string) < from) return
          yield ids[i] as string
        }
      }
    }
  }
}

/** The first index whose key is >= `key`. */
function lowerKey (keys: readonly string[], key: string): number {
  let lo = 0; let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((keys[mid] as string) < key) lo = mid + 1; else hi = mid
  }
  return lo
}

// An ordered index: a list of sorted chunks (a flat B-tree), so inserts and deletes stay cheap at a million entries.
import { compareValues, getPath, valueKey, type Doc } from './values.js'
import { compileFilter, type Matcher } from './query-planner.js'

/** Key values in index field order followed by the document's map key (one array per entry keeps memory down). */
export type IndexEntry = unknown[]
export interface IndexSpec {
  name: string
  key: Record<string, 1 | -1>
  unique?: boolean
  expireAfterSeconds?: number
  sparse?: boolean
  partialFilterExpression?: Doc
}

const CHUNK = 512

export class SortedIndex {
  readonly spec: IndexSpec
  readonly fields: string[]
  readonly dirs: number[]
  private chunks: IndexEntry[][] = [[]]
  private readonly partial: Matcher | null
  size = 0
  /** Some document had an array on an indexed field (entries may repeat a document). */
  multikey = false

  constructor (spec: IndexSpec) {
    this.spec = spec
    this.fields = Object.keys(spec.key)
    this.dirs = this.fields.map((f) => spec.key[f] === -1 ? -1 : 1)
    this.partial = spec.partialFilterExpression !== undefined ? compileFilter(spec.partialFilterExpression) : null
  }

  /** Key tuples for a document; an array value on one field fans out into one entry per element. */
  keysFor (doc: Doc): unknown[][] {
    if (this.partial !== null && !this.partial(doc)) return []
    const base: unknown[] = this.fields.map((f) => { const v = getPath(doc, f); return v === undefined ? null : v })
    if (this.spec.sparse === true && this.fields.every((f) => getPath(doc, f) === undefined)) return []
    const arrayAt = base.findIndex((v) => Array.isArray(v))
    if (arrayAt < 0) return [base]
    this.multikey = true
    const arr = base[arrayAt] as unknown[]
    if (arr.length === 0) { const k = base.slice(); k[arrayAt] = undefined; return [k] }
    const seen = new Set<string>()
    const out: unknown[][] = []
    for (const el of arr) {
      const vk = valueKey(el)
      if (seen.has(vk)) continue
      seen.add(vk)
      const k = base.slice(); k[arrayAt] = el; out.push(k)
    }
    return out
  }

  compareKeys (a: unknown[], b: unknown[]): number {
    for (let i = 0; i < this.dirs.length; i++) {
      const c = compareValues(a[i], b[i])
      if (c !== 0) return c * (this.dirs[i] as number)
    }
    return 0
  }

  /** The document key stored in an entry. */
  idOf (e: IndexEntry): string { return e[this.dirs.length] as string }

  private cmpEntry (a: IndexEntry, b: IndexEntry): number {
    const c = this.compareKeys(a, b)
    if (c !== 0) return c
    const x = this.idOf(a); const y = this.idOf(b)
    return x < y ? -1 : x > y ? 1 : 0
  }

  private findChunk (e: IndexEntry): number {
    let lo = 0; let hi = this.chunks.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const ch = this.chunks[mid] as IndexEntry[]
      if (this.cmpEntry(ch[ch.length - 1] as IndexEntry, e) < 0) lo = mid + 1; else hi = mid
    }
    return lo
  }

  private lowerIn (ch: IndexEntry[], e: IndexEntry): number {
    let lo = 0; let hi = ch.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.cmpEntry(ch[mid] as IndexEntry, e) < 0) lo = mid + 1; else hi = mid
    }
    return lo
  }

  insert (e: IndexEntry): void {
    const ci = this.findChunk(e)
    const ch = this.chunks[ci] as IndexEntry[]
    ch.splice(this.lowerIn(ch, e), 0, e)
    this.size++
    if (ch.length > CHUNK * 2) this.chunks.splice(ci, 1, ch.slice(0, CHUNK), ch.slice(CHUNK))
  }

  remove (e: IndexEntry): boolean {
    const ci = this.findChunk(e)
    const ch = this.chunks[ci] as IndexEntry[]
    const i = this.lowerIn(ch, e)
    const hit = ch[i]
    if (hit === undefined || this.idOf(hit) !== this.idOf(e) || this.compareKeys(hit, e) !== 0) return false
    ch.splice(i, 1)
    this.size--
    if (ch.length === 0 && this.chunks.length > 1) this.chunks.splice(ci, 1)
    return true
  }

  clear (): void { this.chunks = [[]]; this.size = 0 }

  /** Ids of entries whose key equals k (for unique checks). */
  idsWithKey (k: unknown[]): string[] {
    const out: string[] = []
    for (const e of this.scan(k, true, k, true, 1)) {
      out.push(this.idOf(e))
    }
    return out
  }

  /**
   * Entries between two key bounds (compared on the first `lo.length`/`hi.length` fields, in index order),
   * forwards (dir 1) or backwards (dir -1). Undefined bound = open.
   */
  * scan (lo: unknown[] | undefined, loInc: boolean, hi: unknown[] | undefined, hiInc: boolean, dir: 1 | -1): Generator<IndexEntry> {
    const prefixCmp = (a: unknown[], b: unknown[]): number => {
      for (let i = 0; i < b.length; i++) {
        const c = compareValues(a[i], b[i])
        if (c !== 0) return c * (this.dirs[i] as number)
      }
      return 0
    }
    const belowLo = (e: IndexEntry): boolean => {
      if (lo === undefined) return false
      const c = prefixCmp(e, lo)
      return c < 0 || (c === 0 && !loInc)
    }
    const aboveHi = (e: IndexEntry): boolean => {
      if (hi === undefined) return false
      const c = prefixCmp(e, hi)
      return c > 0 || (c === 0 && !hiInc)
    }
    const chunks = this.chunks
    if (this.size === 0) return
    if (dir === 1) {
      let ci = 0
      if (lo !== undefined) {
        let a = 0; let b = chunks.length - 1
        while (a < b) { const m = (a + b) >> 1; const ch = chunks[m] as IndexEntry[]; if (belowLo(ch[ch.length - 1] as IndexEntry)) a = m + 1; else b = m }
        ci = a
      }
      for (; ci < chunks.length; ci++) {
        const ch = chunks[ci] as IndexEntry[]
        let i = 0
        if (lo !== undefined) { let a = 0; let b = ch.length; while (a < b) { const m = (a + b) >> 1; if (belowLo(ch[m] as IndexEntry)) a = m + 1; else b = m } i = a }
        for (; i < ch.length; i++) {
          const e = ch[i] as IndexEntry
          if (aboveHi(e)) return
          yield e
        }
      }
    } else {
      let ci = chunks.length - 1
      if (hi !== undefined) {
        let a = 0; let b = chunks.length - 1
        while (a < b) { const m = (a + b + 1) >> 1; const ch = chunks[m] as IndexEntry[]; if (aboveHi(ch[0] as IndexEntry)) b = m - 1; else a = m }
        ci = a
      }
      for (; ci >= 0; ci--) {
        const ch = chunks[ci] as IndexEntry[]
        let i = ch.length - 1
        if (hi !== undefined) { let a = -1; let b = ch.length - 1; while (a < b) { const m = (a + b + 1) >> 1; if (aboveHi(ch[m] as IndexEntry)) b = m - 1; else a = m } i = a }
        for (; i >= 0; i--) {
          const e = ch[i] as IndexEntry
          if (belowLo(e)) return
          yield e
        }
      }
    }
  }
}

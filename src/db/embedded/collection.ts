// One collection: documents by _id (insertion order = natural order) kept as their BSON bytes, secondary indexes,
// and write primitives. Index keys and filter matching decode only the fields they read.
import { BSON, ObjectId } from 'bson'
import { commandError } from './errors.js'
import { readFields } from './bson-raw.js'
import { filterFields, NO_FIELDS, pathFields, unionFields, type FieldSet } from './needed-fields.js'
import { SortedIndex, type IndexSpec } from './sorted-index.js'
import { compileFilter, planQuery, sortComparator, type Plan } from './query-planner.js'
import { decode, decodeFields, encode, fromBytes, type StoredDoc } from './stored-doc.js'
import { valueKey, type Doc } from './values.js'

export interface FindOptions { filter?: Doc; sort?: Doc; skip?: number; limit?: number; collation?: Doc }

const DECODE = Object.freeze({ promoteLongs: false, promoteValues: true, promoteBuffers: false })

/** Read-only, decoding view of a collection's documents by map key (TTL and tests use it; each get decodes afresh). */
export class DocsView {
  constructor (private readonly raw: Map<string, StoredDoc>) {}
  get size (): number { return this.raw.size }
  has (key: string): boolean { return this.raw.has(key) }
  get (key: string): Doc | undefined { const s = this.raw.get(key); return s === undefined ? undefined : decode(s) }
  * values (): IterableIterator<Doc> { for (const s of this.raw.values()) yield decode(s) }
  keys (): IterableIterator<string> { return this.raw.keys() }
}

export class Collection {
  readonly db: string
  readonly name: string
  /** _id map key → the document's BSON bytes (Latin-1 string). */
  readonly raw = new Map<string, StoredDoc>()
  readonly docs = new DocsView(this.raw)
  readonly indexes = new Map<string, SortedIndex>()
  private keyFieldsFor: SortedIndex[] = []
  private keyFields: FieldSet = new Set(['_id'])

  constructor (db: string, name: string) {
    this.db = db
    this.name = name
  }

  get ns (): string { return `${this.db}.${this.name}` }

  /** Top-level fields that index keys (and partial filters) read, plus _id; null = decode everything. */
  private indexFields (): FieldSet {
    const ixs = this.indexes
    let same = ixs.size === this.keyFieldsFor.length
    if (same) { let i = 0; for (const ix of ixs.values()) if (ix !== this.keyFieldsFor[i++]) { same = false; break } }
    if (!same) {
      this.keyFieldsFor = [...ixs.values()]
      this.keyFields = unionFields(new Set(['_id']), ...this.keyFieldsFor.map(fieldsOfIndex))
    }
    return this.keyFields
  }

  /**
   * Stores a document given as its complete BSON bytes (with an _id), maintaining indexes; throws E11000 before
   * changing anything if a unique key (or, for `isNew`, the _id) is taken. Returns the _id.
   */
  putBytes (bytes: Buffer, check = true, isNew = false, known?: Doc): unknown {
    const names = this.indexFields()
    // `known`: top-level values the caller already holds (decoded as they would be); used when they cover the indexes.
    const view = names === null ? BSON.deserialize(bytes, DECODE) as Doc : known !== undefined && covers(known, names) ? known : readFields(bytes, names)
    const id = view._id
    if (id === undefined) throw commandError('InvalidIdField', 'document without an _id')
    const key = valueKey(id)
    const old = this.raw.get(key)
    if (isNew && old !== undefined) throw this.duplicate(null, [id])
    // Keys are encoded once per index: for the unique checks, then to insert (or to compare with the old keys).
    const keys: string[][] = []
    for (const ix of this.indexes.values()) keys.push(ix.keysFor(view))
    let n = 0
    if (check) {
      if (Array.isArray(id)) throw commandError('InvalidIdField', 'The \'_id\' value cannot be of type array')
      for (const ix of this.indexes.values()) {
        const ks = keys[n++] as string[]
        if (ix.spec.unique !== true) continue
        for (const k of ks) {
          if (ix.idsWithKey(k).some((x) => x !== key)) throw this.duplicate(ix, ix.tupleOf(view, k) ?? [])
        }
      }
    }
    // Keys are compared with the old document's: an update that leaves an index's keys alone costs it nothing.
    const oldView = old !== undefined && this.indexes.size > 0 ? decodeFields(old, names) : null
    this.raw.set(key, fromBytes(bytes))
    n = 0
    for (const ix of this.indexes.values()) {
      const ks = keys[n++] as string[]
      if (oldView !== null) ix.replace(key, ix.keysFor(oldView), ks); else for (const k of ks) ix.insert(k, key)
    }
    return id
  }

  /** Stores a decoded document (copied: the caller keeps its object); returns the bytes stored. */
  put (doc: Doc, check = true, isNew = false): Buffer {
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc }
    if (check && Array.isArray(doc._id)) throw commandError('InvalidIdField', 'The \'_id\' value cannot be of type array')
    const bytes = encode(doc)
    this.putBytes(bytes, check, isNew)
    return bytes
  }

  insertNew (doc: Doc): Buffer { return this.put(doc, true, true) }

  duplicate (ix: SortedIndex | null, k: unknown[]): Error {
    const keyPattern: Doc = ix === null ? { _id: 1 } : { ...ix.spec.key }
    const fields = ix === null ? ['_id'] : ix.fields
    const keyValue: Doc = {}
    fields.forEach((f, i) => { keyValue[f] = k[i] === undefined ? null : k[i] })
    const shown = fields.map((f, i) => `${f}: ${JSON.stringify(k[i] ?? null)}`).join(', ')
    return commandError('DuplicateKey', `E11000 duplicate key error collection: ${this.ns} index: ${ix === null ? '_id_' : ix.spec.name} dup key: { ${shown} }`, { keyPattern, keyValue })
  }

  private unindex (old: StoredDoc, key: string): void {
    if (this.indexes.size === 0) return
    const view = decodeFields(old, this.indexFields())
    for (const ix of this.indexes.values()) for (const k of ix.keysFor(view)) ix.remove(k, key)
  }

  /** A fresh decoded copy of the document with this _id. */
  getById (id: unknown): Doc | undefined {
    const s = this.raw.get(valueKey(id))
    return s === undefined ? undefined : decode(s)
  }

  getRawById (id: unknown): StoredDoc | undefined { return this.raw.get(valueKey(id)) }

  removeById (id: unknown): boolean {
    const key = valueKey(id)
    const old = this.raw.get(key)
    if (old === undefined) return false
    this.unindex(old, key)
    this.raw.delete(key)
    return true
  }

  /** Builds an index; fails with E11000 (and leaves nothing behind) if existing documents violate a unique spec. */
  addIndex (spec: IndexSpec, check = true): void {
    const ix = new SortedIndex(spec)
    const names = unionFields(new Set(['_id']), fieldsOfIndex(ix))
    for (const [key, s] of this.raw) {
      const view = decodeFields(s, names)
      for (const k of ix.keysFor(view)) {
        if (check && spec.unique === true && ix.idsWithKey(k).some((id) => id !== key)) throw this.duplicate(ix, ix.tupleOf(view, k) ?? [])
        ix.insert(k, key)
      }
    }
    this.indexes.set(spec.name, ix)
  }

  /**
   * The documents matching `filter` when it is plain equalities on exactly the fields of a unique index (not sparse,
   * not partial), found by one index key; undefined when there is no such index. The caller guarantees every value
   * is a non-null scalar, so index-key equality is query equality (numbers of every width share one encoding).
   */
  uniqueMatches (filter: Doc, keys: readonly string[]): StoredDoc[] | undefined {
    for (const ix of this.indexes.values()) {
      const spec = ix.spec
      if (spec.unique !== true || spec.sparse === true || spec.partialFilterExpression !== undefined) continue
      if (ix.fields.length !== keys.length || !ix.fields.every((f) => f in filter)) continue
      const out: StoredDoc[] = []
      for (const id of ix.idsWithKey(ix.encode(ix.fields.map((f) => filter[f])))) {
        const s = this.raw.get(id)
        if (s !== undefined) out.push(s)
      }
      return out
    }
    return undefined
  }

  plan (filter: Doc | undefined, sort: Doc | undefined): Plan {
    return planQuery(filter, sort, [...this.indexes.values()])
  }

  /**
   * Matching stored documents (as stored bytes), in sort order, after skip/limit. Only the fields the filter and
   * sort read are decoded (none when the index bounds are the whole filter and the scan order is the sort).
   */
  find (opts: FindOptions): { raws: StoredDoc[]; plan: Plan; examined: number } {
    const { filter, sort, collation } = opts
    const skip = opts.skip ?? 0
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity
    const plan = this.plan(filter, sort)
    const match = plan.exact === true ? () => true : compileFilter(filter)
    const hasSort = sort !== undefined && sort !== null && Object.keys(sort).length > 0
    const useCollation = collation !== undefined && collation !== null && collation.locale !== 'simple'
    const sortDone = !hasSort || (plan.sortCovered && !useCollation)
    const wanted = sortDone ? skip + limit : Infinity
    const cmp = sortDone ? null : sortComparator(sort as Doc, useCollation ? collation : undefined)
    const names = unionFields(plan.exact === true ? NO_FIELDS : filterFields(filter), cmp !== null ? pathFields(Object.keys(sort as Doc)) : NO_FIELDS)
    const needDecode = names === null || names.size > 0
    const out: StoredDoc[] = []
    // With a sort to do, matches are kept with their decoded sort fields.
    const sorted: Array<{ s: StoredDoc; d: Doc }> = []
    let examined = 0
    // Top-N by an unindexed sort: keep only the best skip+limit matches (binary insertion) instead of sorting all.
    const topK = !sortDone && skip + limit <= 1000 ? skip + limit : 0
    const consider = (s: StoredDoc | undefined): boolean => {
      if (s === undefined) return true
      examined++
      if (!needDecode) { out.push(s); return out.length < wanted }
      const doc = decodeFields(s, names)
      if (!match(doc)) return out.length < wanted
      if (cmp === null) { out.push(s); return out.length < wanted }
      if (topK > 0) {
        if (sorted.length >= topK && cmp(doc, (sorted[topK - 1] as { d: Doc }).d) >= 0) return true
        let lo = 0; let hi = sorted.length
        while (lo < hi) { const mid = (lo + hi) >> 1; if (cmp((sorted[mid] as { d: Doc }).d, doc) <= 0) lo = mid + 1; else hi = mid }
        sorted.splice(lo, 0, { s, d: doc })
        if (sorted.length > topK) sorted.pop()
        return true
      }
      sorted.push({ s, d: doc })
      return true
    }
    if (plan.idLookup !== undefined) {
      const seen = new Set<string>()
      for (const id of plan.idLookup) {
        const k = valueKey(id)
        if (seen.has(k)) continue
        seen.add(k)
        if (!consider(this.raw.get(k))) break
      }
    } else if (plan.index !== null) {
      const seen = plan.index.multikey || plan.scans.length > 1 ? new Set<string>() : null
      outer: for (const s of plan.scans) {
        for (const id of plan.index.scan(s.lo, s.loInc, s.hi, s.hiInc, plan.dir)) {
          if (seen !== null) {
            if (seen.has(id)) continue
            seen.add(id)
          }
          if (!consider(this.raw.get(id))) break outer
        }
      }
    } else {
      for (const s of this.raw.values()) if (!consider(s)) break
    }
    let raws = out
    if (cmp !== null) {
      if (topK === 0) sorted.sort((a, b) => cmp(a.d, b.d))
      raws = sorted.map((e) => e.s)
    }
    if (skip > 0 || limit !== Infinity) raws = raws.slice(skip, skip + limit)
    return { raws, plan, examined }
  }
}

function covers (known: Doc, names: ReadonlySet<string>): boolean {
  for (const n of names) if (!(n in known)) return false
  return true
}

function fieldsOfIndex (ix: SortedIndex): FieldSet {
  const p = ix.spec.partialFilterExpression
  return unionFields(pathFields(ix.fields), p !== undefined ? filterFields(p) : NO_FIELDS)
}

// One collection: documents by _id (insertion order = natural order), secondary indexes, and write primitives.
import { ObjectId } from 'bson'
import { commandError } from './errors.js'
import { SortedIndex, type IndexSpec } from './sorted-index.js'
import { compileFilter, planQuery, sortComparator, type Plan } from './query-planner.js'
import { normaliseForStorage, valueKey, type Doc } from './values.js'

export interface FindOptions { filter?: Doc; sort?: Doc; skip?: number; limit?: number; collation?: Doc }

export class Collection {
  readonly db: string
  readonly name: string
  readonly docs = new Map<string, Doc>()
  readonly indexes = new Map<string, SortedIndex>()

  constructor (db: string, name: string) {
    this.db = db
    this.name = name
  }

  get ns (): string { return `${this.db}.${this.name}` }

  /** Stores a document, maintaining indexes; throws E11000 before changing anything if a unique key is taken. */
  put (doc: Doc, check = true): Doc {
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc }
    const stored = normaliseForStorage(doc) as Doc
    const key = valueKey(stored._id)
    const old = this.docs.get(key)
    // Keys are computed once per index: for the unique checks, then to insert (or to compare with the old keys).
    const keys: string[][] = []
    for (const ix of this.indexes.values()) keys.push(ix.keysFor(stored))
    if (check) {
      if (Array.isArray(stored._id)) throw commandError('InvalidIdField', 'The \'_id\' value cannot be of type array')
      let n = 0
      for (const ix of this.indexes.values()) {
        const ks = keys[n++] as string[]
        if (ix.spec.unique !== true) continue
        for (const k of ks) {
          if (ix.idsWithKey(k).some((id) => id !== key)) throw this.duplicate(ix, ix.tupleOf(stored, k) ?? [])
        }
      }
    }
    this.docs.set(key, stored)
    let n = 0
    for (const ix of this.indexes.values()) {
      const ks = keys[n++] as string[]
      if (old !== undefined) ix.replace(key, ix.keysFor(old), ks); else for (const k of ks) ix.insert(k, key)
    }
    return stored
  }

  insertNew (doc: Doc): Doc {
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc }
    const key = valueKey(doc._id)
    if (this.docs.has(key)) throw this.duplicate(null, [doc._id])
    return this.put(doc)
  }

  duplicate (ix: SortedIndex | null, k: unknown[]): Error {
    const keyPattern: Doc = ix === null ? { _id: 1 } : { ...ix.spec.key }
    const fields = ix === null ? ['_id'] : ix.fields
    const keyValue: Doc = {}
    fields.forEach((f, i) => { keyValue[f] = k[i] === undefined ? null : k[i] })
    const shown = fields.map((f, i) => `${f}: ${JSON.stringify(k[i] ?? null)}`).join(', ')
    return commandError('DuplicateKey', `E11000 duplicate key error collection: ${this.ns} index: ${ix === null ? '_id_' : ix.spec.name} dup key: { ${shown} }`, { keyPattern, keyValue })
  }

  private unindex (doc: Doc, key: string): void {
    for (const ix of this.indexes.values()) for (const k of ix.keysFor(doc)) ix.remove(k, key)
  }

  getById (id: unknown): Doc | undefined { return this.docs.get(valueKey(id)) }

  removeById (id: unknown): boolean {
    const key = valueKey(id)
    const old = this.docs.get(key)
    if (old === undefined) return false
    this.unindex(old, key)
    this.docs.delete(key)
    return true
  }

  /** Builds an index; fails with E11000 (and leaves nothing behind) if existing documents violate a unique spec. */
  addIndex (spec: IndexSpec, check = true): void {
    const ix = new SortedIndex(spec)
    for (const [key, doc] of this.docs) {
      for (const k of ix.keysFor(doc)) {
        if (check && spec.unique === true && ix.idsWithKey(k).some((id) => id !== key)) throw this.duplicate(ix, ix.tupleOf(doc, k) ?? [])
        ix.insert(k, key)
      }
    }
    this.indexes.set(spec.name, ix)
  }

  plan (filter: Doc | undefined, sort: Doc | undefined): Plan {
    return planQuery(filter, sort, [...this.indexes.values()])
  }

  /** Matching stored documents (frozen; callers must not mutate), in sort order, after skip/limit. */
  find (opts: FindOptions): { docs: Doc[]; plan: Plan; examined: number } {
    const { filter, sort, collation } = opts
    const skip = opts.skip ?? 0
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity
    const plan = this.plan(filter, sort)
    const match = plan.exact === true ? () => true : compileFilter(filter)
    const hasSort = sort !== undefined && sort !== null && Object.keys(sort).length > 0
    const useCollation = collation !== undefined && collation !== null && collation.locale !== 'simple'
    const sortDone = !hasSort || (plan.sortCovered && !useCollation)
    const wanted = sortDone ? skip + limit : Infinity
    const out: Doc[] = []
    let examined = 0
    // Top-N by an unindexed sort: keep only the best skip+limit matches (binary insertion) instead of sorting all.
    const topK = !sortDone && skip + limit <= 1000 ? skip + limit : 0
    const cmp = sortDone ? null : sortComparator(sort as Doc, useCollation ? collation : undefined)
    const consider = (doc: Doc | undefined): boolean => {
      if (doc === undefined) return true
      examined++
      if (!match(doc)) return out.length < wanted
      if (topK > 0 && cmp !== null) {
        if (out.length >= topK && cmp(doc, out[topK - 1] as Doc) >= 0) return true
        let lo = 0; let hi = out.length
        while (lo < hi) { const mid = (lo + hi) >> 1; if (cmp(out[mid] as Doc, doc) <= 0) lo = mid + 1; else hi = mid }
        out.splice(lo, 0, doc)
        if (out.length > topK) out.pop()
        return true
      }
      out.push(doc)
      return out.length < wanted
    }
    if (plan.idLookup !== undefined) {
      const seen = new Set<string>()
      for (const id of plan.idLookup) {
        const k = valueKey(id)
        if (seen.has(k)) continue
        seen.add(k)
        if (!consider(this.docs.get(k))) break
      }
    } else if (plan.index !== null) {
      const seen = plan.index.multikey || plan.scans.length > 1 ? new Set<string>() : null
      outer: for (const s of plan.scans) {
        for (const id of plan.index.scan(s.lo, s.loInc, s.hi, s.hiInc, plan.dir)) {
          if (seen !== null) {
            if (seen.has(id)) continue
            seen.add(id)
          }
          if (!consider(this.docs.get(id))) break outer
        }
      }
    } else {
      for (const doc of this.docs.values()) if (!consider(doc)) break
    }
    let docs = out
    if (cmp !== null && topK === 0) docs.sort(cmp)
    if (skip > 0 || limit !== Infinity) docs = docs.slice(skip, skip + limit)
    return { docs, plan, examined }
  }
}

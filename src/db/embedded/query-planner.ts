// Filter matching (native fast path, mingo otherwise), index selection, sorting and projection for find/aggregate.
import { Query } from 'mingo'
import { BSONRegExp, Long, ObjectId } from 'bson'
import { compareValues, deepClone, getPath, valueKey, valuesEqual, type Doc } from './values.js'
import type { SortedIndex } from './sorted-index.js'

export type Matcher = (doc: Doc) => boolean

function isScalar (v: unknown): boolean {
  if (v === null) return true
  const t = typeof v
  if (t === 'string' || t === 'number' || t === 'boolean') return true
  return v instanceof ObjectId || v instanceof Date || v instanceof Long
}

function eqMatch (docVal: unknown, target: unknown): boolean {
  if (target === null) return docVal === null || docVal === undefined || (Array.isArray(docVal) && docVal.some((x) => x === null))
  if (Array.isArray(docVal)) return docVal.some((x) => valuesEqual(x, target)) || valuesEqual(docVal, target)
  return docVal !== undefined && valuesEqual(docVal, target)
}

type FieldTest = (docVal: unknown) => boolean

/** `{$in: [scalars]}` without mingo: a set of value keys (numbers of any width share one key, as MongoDB compares). */
function inTest (values: unknown[]): FieldTest {
  const hasNull = values.some((v) => v === null)
  const keys = new Set(values.filter((v) => v !== null).map(valueKey))
  const one = (x: unknown): boolean => x === null || x === undefined ? hasNull : keys.has(valueKey(x))
  return (docVal) => Array.isArray(docVal) ? docVal.some(one) : one(docVal)
}

/** A native test for a field predicate that is a scalar, `{$eq: scalar}` or `{$in: [scalars]}`; null otherwise. */
function nativeFieldTest (v: unknown): FieldTest | null {
  if (isScalar(v)) return (docVal) => eqMatch(docVal, v)
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof RegExp || v instanceof BSONRegExp) return null
  const ops = Object.keys(v as Doc)
  if (ops.length !== 1) return null
  const arg = (v as Doc)[ops[0] as string]
  if (ops[0] === '$eq' && isScalar(arg)) return (docVal) => eqMatch(docVal, arg)
  if (ops[0] === '$in' && Array.isArray(arg) && arg.every(isScalar)) return inTest(arg)
  return null
}

/** Compiles a filter; equality and `$in` filters skip mingo (its Query construction costs ~50-100 µs a call). */
export function compileFilter (filter: Doc | undefined): Matcher {
  if (filter === undefined || filter === null) return () => true
  const keys = Object.keys(filter)
  if (keys.length === 0) return () => true
  const tests: Array<readonly [string, FieldTest]> = []
  for (const k of keys) {
    const test = k.startsWith('$') ? null : nativeFieldTest(filter[k])
    if (test === null) { tests.length = 0; break }
    tests.push([k, test])
  }
  if (tests.length === keys.length) {
    return (doc) => {
      for (const [k, test] of tests) if (!test(getPath(doc, k))) return false
      return true
    }
  }
  const q = new Query(filter)
  return (doc) => q.test(doc)
}

interface FieldBounds { eq?: unknown; inValues?: unknown[]; lo?: unknown; loInc?: boolean; hi?: unknown; hiInc?: boolean }

function collectBounds (filter: Doc, out: Map<string, FieldBounds>): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) { for (const sub of v) collectBounds(sub as Doc, out); continue }
    if (k.startsWith('$')) continue
    const b = out.get(k) ?? {}
    if (isScalar(v)) { b.eq = v; out.set(k, b); continue }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof RegExp || v instanceof BSONRegExp) continue
    const ops = v as Doc
    if (Object.keys(ops).some((o) => !o.startsWith('$'))) continue
    if ('$eq' in ops && isScalar(ops.$eq)) b.eq = ops.$eq
    if (Array.isArray(ops.$in) && ops.$in.every(isScalar)) b.inValues = ops.$in
    for (const [op, val] of Object.entries(ops)) {
      if (!isScalar(val) || val === null) continue
      if (op === '$gt' || op === '$gte') { b.lo = val; b.loInc = op === '$gte' }
      if (op === '$lt' || op === '$lte') { b.hi = val; b.hiInc = op === '$lte' }
    }
    out.set(k, b)
  }
}

export interface Plan {
  index: SortedIndex | null
  /** Scans to run in order (several for $in on the leading field). */
  scans: Array<{ lo?: unknown[]; loInc: boolean; hi?: unknown[]; hiInc: boolean }>
  dir: 1 | -1
  /** The scan order already satisfies the requested sort. */
  sortCovered: boolean
  idLookup?: unknown[]
  /** The index bounds express the whole filter, so scanned documents need no re-check. */
  exact?: boolean
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte', '$eq'])

function sameTypeRange (b: FieldBounds): boolean {
  if (b.lo === undefined || b.hi === undefined) return false
  if (b.lo instanceof Date) return b.hi instanceof Date
  return typeof b.lo === typeof b.hi && (typeof b.lo === 'number' || typeof b.lo === 'string')
}

/** True when every predicate is an equality on the index prefix or a closed same-type range on the next field. */
function boundsAreExact (filter: Doc | undefined, ix: SortedIndex, eqLen: number, bounds: Map<string, FieldBounds>): boolean {
  if (filter === undefined || filter === null || ix.multikey) return false
  for (const [k, v] of Object.entries(filter)) {
    const pos = ix.fields.indexOf(k)
    if (pos < 0 || pos > eqLen) return false
    if (v === null) return false
    if (isScalar(v)) { if (pos >= eqLen) return false; continue }
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof RegExp || v instanceof BSONRegExp) return false
    const ops = Object.keys(v as Doc)
    if (ops.some((o) => !RANGE_OPS.has(o))) return false
    if (pos < eqLen) { if (ops.length !== 1 || ops[0] !== '$eq' || (v as Doc).$eq === null) return false; continue }
    if (ops.includes('$eq') || ops.length !== 2) return false
    const b = bounds.get(k)
    if (b === undefined || !sameTypeRange(b)) return false
  }
  return true
}

export function planQuery (filter: Doc | undefined, sort: Doc | undefined, indexes: SortedIndex[]): Plan {
  const bounds = new Map<string, FieldBounds>()
  if (filter !== undefined && filter !== null) collectBounds(filter, bounds)
  const idb = bounds.get('_id')
  if (idb?.eq !== undefined) return { index: null, scans: [], dir: 1, sortCovered: false, idLookup: [idb.eq] }
  if (idb?.inValues !== undefined) return { index: null, scans: [], dir: 1, sortCovered: false, idLookup: idb.inValues }

  const sortKeys = sort !== undefined && sort !== null ? Object.entries(sort).map(([f, d]) => [f, Number(d) === -1 ? -1 : 1] as const) : []
  let best: Plan | null = null
  let bestScore = 0
  for (const ix of indexes) {
    if (ix.spec.sparse === true || ix.spec.partialFilterExpression !== undefined) continue
    const eqVals: unknown[] = []
    let i = 0
    for (; i < ix.fields.length; i++) {
      const b = bounds.get(ix.fields[i] as string)
      if (b?.eq === undefined) break
      eqVals.push(b.eq)
    }
    let score = i * 4
    let lo: unknown[] = eqVals.slice(); let hi: unknown[] = eqVals.slice()
    let loInc = true; let hiInc = true
    let scans: Plan['scans'] | null = null
    const next = ix.fields[i]
    const nb = next !== undefined ? bounds.get(next) : undefined
    if (nb !== undefined && i < ix.fields.length) {
      if (nb.inValues !== undefined && i === 0) {
        const vals = nb.inValues.slice().sort((a, b) => compareValues(a, b) * (ix.dirs[0] as number))
        scans = vals.map((v) => ({ lo: [v], loInc: true, hi: [v], hiInc: true }))
        score += 3
      } else if (nb.lo !== undefined || nb.hi !== undefined) {
        score += 2
        const desc = ix.dirs[i] === -1
        const [l, li, h, hi2] = desc ? [nb.hi, nb.hiInc, nb.lo, nb.loInc] : [nb.lo, nb.loInc, nb.hi, nb.hiInc]
        if (l !== undefined) { lo = [...eqVals, l]; loInc = li === true }
        if (h !== undefined) { hi = [...eqVals, h]; hiInc = hi2 === true }
      }
    }
    // Sort coverage: sort fields must continue the index after the equality prefix, all in one direction.
    let sortCovered = false
    let dir: 1 | -1 = 1
    if (sortKeys.length > 0 && scans === null) {
      const rest = sortKeys.filter(([f]) => { const p = ix.fields.indexOf(f); return !(p >= 0 && p < i) })
      let ok = i + rest.length <= ix.fields.length
      let d0 = 0
      for (let s = 0; ok && s < rest.length; s++) {
        const [f, d] = rest[s] as readonly [string, number]
        if (ix.fields[i + s] !== f) { ok = false; break }
        const rel = d * (ix.dirs[i + s] as number)
        if (d0 === 0) d0 = rel; else if (rel !== d0) ok = false
      }
      if (ok) { sortCovered = true; dir = d0 === -1 ? -1 : 1; score += 1 }
    }
    if (score > bestScore) {
      bestScore = score
      best = {
        index: ix,
        scans: scans ?? [{ lo: lo.length > 0 ? lo : undefined, loInc, hi: hi.length > 0 ? hi : undefined, hiInc }],
        dir,
        sortCovered,
        exact: scans === null && boundsAreExact(filter, ix, i, bounds)
      }
    }
  }
  return best ?? { index: null, scans: [], dir: 1, sortCovered: false }
}

/** A comparator for a sort spec; `collation` with strength 1-2 compares strings case-insensitively. */
export function sortComparator (sort: Doc, collation?: Doc): (a: Doc, b: Doc) => number {
  const keys = Object.entries(sort).map(([f, d]) => [f, Number(d) === -1 ? -1 : 1] as const)
  const strength = collation !== undefined ? Number(collation.strength ?? 3) : 3
  const coll = collation !== undefined && typeof collation.locale === 'string' && collation.locale !== 'simple'
    ? new Intl.Collator(collation.locale, { sensitivity: strength === 1 ? 'base' : strength === 2 ? 'accent' : 'variant', numeric: collation.numericOrdering === true })
    : null
  const sortValue = (doc: Doc, f: string, d: number): unknown => {
    const v = getPath(doc, f)
    if (!Array.isArray(v) || v.length === 0) return v
    // MongoDB sorts an array by its smallest element ascending, largest descending.
    return v.reduce((m, x) => (compareValues(x, m) * d < 0 ? x : m))
  }
  return (a, b) => {
    for (const [f, d] of keys) {
      const x = sortValue(a, f, d); const y = sortValue(b, f, d)
      const c = coll !== null && typeof x === 'string' && typeof y === 'string' ? coll.compare(x, y) : compareValues(x, y)
      if (c !== 0) return c * d
    }
    return 0
  }
}

/** Applies a find projection. Plain inclusion/exclusion is native; anything else goes through mingo on a copy. */
export function makeProjector (projection: Doc | undefined): ((doc: Doc) => Doc) | null {
  if (projection === undefined || projection === null || Object.keys(projection).length === 0) return null
  const entries = Object.entries(projection)
  const plain = entries.every(([k, v]) => !k.includes('$') && (typeof v === 'number' || typeof v === 'boolean'))
  if (!plain) {
    const q = new Query({})
    return (doc) => q.find([deepClone(doc)], projection).next() as Doc
  }
  const idIncluded = projection._id === undefined || Boolean(projection._id)
  const fields = entries.filter(([k]) => k !== '_id')
  const inclusive = fields.length > 0 ? Boolean(fields[0]?.[1]) : false
  const paths = fields.map(([k]) => k.split('.'))
  if (inclusive) {
    const pick = (src: unknown, parts: string[], dst: Doc): void => {
      if (src === null || typeof src !== 'object' || Array.isArray(src)) return
      const [head, ...rest] = parts as [string, ...string[]]
      const v = (src as Doc)[head]
      if (v === undefined) return
      if (rest.length === 0) { dst[head] = v; return }
      if (Array.isArray(v)) {
        const arr = (Array.isArray(dst[head]) ? dst[head] : []) as unknown[]
        v.forEach((el, i) => {
          if (el === null || typeof el !== 'object' || Array.isArray(el)) return
          const sub = (arr[i] ?? {}) as Doc
          pick(el, rest, sub)
          arr[i] = sub
        })
        dst[head] = arr.filter((x) => x !== undefined)
        return
      }
      if (v === null || typeof v !== 'object') return
      const sub = (dst[head] !== undefined && typeof dst[head] === 'object' ? dst[head] : {}) as Doc
      pick(v, rest, sub)
      dst[head] = sub
    }
    return (doc) => {
      const out: Doc = {}
      if (idIncluded && doc._id !== undefined) out._id = doc._id
      for (const p of paths) pick(doc, p, out)
      return out
    }
  }
  const drop = (src: Doc, parts: string[]): Doc => {
    const [head, ...rest] = parts as [string, ...string[]]
    if (!(head in src)) return src
    const out: Doc = { ...src }
    if (rest.length === 0) { delete out[head]; return out }
    const v = src[head]
    if (Array.isArray(v)) out[head] = v.map((el) => el !== null && typeof el === 'object' && !Array.isArray(el) ? drop(el as Doc, rest) : el)
    else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) out[head] = drop(v as Doc, rest)
    return out
  }
  return (doc) => {
    let out = doc
    for (const p of paths) out = drop(out, p)
    if (!idIncluded) { out = { ...out }; delete out._id }
    return out
  }
}

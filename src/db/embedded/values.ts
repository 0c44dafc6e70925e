// BSON value helpers: MongoDB's cross-type ordering, stable map keys, cloning.
import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, BSONRegExp } from 'bson'

export type Doc = Record<string, unknown>

// Canonical type order used by sort and indexes (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).
function typeRank (v: unknown): number {
  if (v === undefined || v === null) return 1
  switch (typeof v) {
    case 'number': case 'bigint': return 2
    case 'string': return 3
    case 'boolean': return 8
    case 'object': break
    default: return 3
  }
  if (v instanceof MinKey) return 0
  if (v instanceof MaxKey) return 100
  if (v instanceof Long || v instanceof Int32 || v instanceof Double || v instanceof Decimal128) return 2
  if (Array.isArray(v)) return 5
  if (v instanceof Binary || v instanceof Uint8Array) return 6
  if (v instanceof ObjectId) return 7
  if (v instanceof Date) return 9
  if (v instanceof Timestamp) return 10
  if (v instanceof RegExp || v instanceof BSONRegExp) return 11
  return 4
}

export function toNumber (v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof Long) return v.toNumber()
  if (v instanceof Int32 || v instanceof Double) return v.value
  if (v instanceof Decimal128) return Number(v.toString())
  return Number(v)
}

export function isNumeric (v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof Long || v instanceof Int32 || v instanceof Double || v instanceof Decimal128
}

function cmpBytes (a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1
  }
  return 0
}

export function compareValues (a: unknown, b: unknown): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  switch (ra) {
    case 1: case 0: case 100: return 0
    case 2: {
      if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
      const x = toNumber(a); const y = toNumber(b)
      return x < y ? -1 : x > y ? 1 : 0
    }
    case 3: return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0
    case 8: return a === b ? 0 : a === false ? -1 : 1
    case 9: {
      const x = (a as Date).getTime(); const y = (b as Date).getTime()
      return x < y ? -1 : x > y ? 1 : 0
    }
    case 7: return cmpBytes((a as ObjectId).id, (b as ObjectId).id)
    case 6: {
      const x = a instanceof Binary ? a.buffer : a as Uint8Array
      const y = b instanceof Binary ? b.buffer : b as Uint8Array
      return cmpBytes(x, y)
    }
    case 10: return (a as Timestamp).compare(b as Timestamp)
    case 5: {
      const x = a as unknown[]; const y = b as unknown[]
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i])
        if (c !== 0) return c
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1
    }
    case 4: {
      const ka = Object.keys(a as Doc); const kb = Object.keys(b as Doc)
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const x = (a as Doc)[ka[i] as string]; const y = (b as Doc)[kb[i] as string]
        const c = compareValues(typeRank(x), typeRank(y)) || compareValues(ka[i], kb[i]) || compareValues(x, y)
        if (c !== 0) return c
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1
    }
    default: return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
  }
}

export function valuesEqual (a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0
}

/**
 * A string that is equal for equal values (numbers of any BSON width compare equal, as in MongoDB).
 * A string maps to itself (so a document's _id and its map key are one string in memory); other types are
 * tagged with a leading \u0001, and strings that happen to start with it are re-tagged.
 */
export function valueKey (v: unknown): string {
  if (typeof v === 'string') return v.charCodeAt(0) === 1 ? '\u0001s' + v : v
  // An ObjectId keys by its 12 bytes in one flat string (tag "O", which keyPart never starts with): its hex string
  // is built by a dozen concatenations, and every Map lookup with it would first have to flatten them.
  if (v instanceof ObjectId) {
    const b = v.id
    return String.fromCharCode(1, 0x4f, b[0] as number, b[1] as number, b[2] as number, b[3] as number, b[4] as number, b[5] as number,
      b[6] as number, b[7] as number, b[8] as number, b[9] as number, b[10] as number, b[11] as number)
  }
  return '\u0001' + keyPart(v)
}

function keyPart (v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (v === null || v === undefined) return 'n'
  if (typeof v === 'number') return 'd' + v
  if (typeof v === 'boolean') return v ? 'T' : 'F'
  if (v instanceof ObjectId) return 'o' + v.toHexString()
  if (v instanceof Date) return 't' + v.getTime()
  if (isNumeric(v)) return 'd' + toNumber(v)
  if (v instanceof Binary) return 'b' + v.sub_type + Buffer.from(v.buffer).toString('base64')
  if (Array.isArray(v)) return 'a[' + v.map(keyPart).join(',') + ']'
  if (typeof v === 'object') {
    return 'o{' + Object.keys(v as Doc).map((k) => JSON.stringify(k) + ':' + keyPart((v as Doc)[k])).join(',') + '}'
  }
  return 'x' + String(v)
}

function isPlainObject (v: object): boolean {
  const p = Object.getPrototypeOf(v)
  return p === Object.prototype || p === null
}

/** A mutable deep copy (BSON value objects are immutable and shared). */
export function deepClone<T> (v: T): T {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(deepClone) as T
  if (!isPlainObject(v)) {
    if (v instanceof Date) return new Date(v.getTime()) as T
    return v
  }
  const out: Doc = {}
  for (const k of Object.keys(v as Doc)) out[k] = deepClone((v as Doc)[k])
  return out as T
}

/** Value at a dotted path; arrays along the path fan out (as MongoDB does for queries and index keys). */
export function getPath (doc: unknown, path: string): unknown {
  if (!path.includes('.')) return (doc !== null && typeof doc === 'object') ? (doc as Doc)[path] : undefined
  let cur: unknown = doc
  const parts = path.split('.')
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined
    const part = parts[i] as string
    if (Array.isArray(cur) && !/^\d+$/.test(part)) {
      const rest = parts.slice(i).join('.')
      const out: unknown[] = []
      for (const el of cur) {
        const v = getPath(el, rest)
        if (v === undefined) continue
        if (Array.isArray(v)) out.push(...v); else out.push(v)
      }
      return out.length > 0 ? out : undefined
    }
    cur = (cur as Doc)[part]
  }
  return cur
}

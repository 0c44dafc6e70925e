// Update application: native $set/$unset/$inc/$setOnInsert/... (the ingest hot path), mingo for the rest.
import { update as mingoUpdate, Aggregator } from 'mingo'
import { Long, ObjectId, Timestamp } from 'bson'
import { commandError } from './errors.js'
import { deepClone, getPath, isNumeric, toNumber, valuesEqual, compareValues, type Doc } from './values.js'

const NATIVE = new Set(['$set', '$unset', '$inc', '$setOnInsert', '$currentDate', '$min', '$max', '$mul', '$push', '$addToSet', '$rename'])

export function isOperatorUpdate (u: unknown): u is Doc {
  return u !== null && typeof u === 'object' && !Array.isArray(u) && Object.keys(u).some((k) => k.startsWith('$'))
}

/** Copy-on-write descent: returns the (copied) parent object of the last path segment. */
function parentFor (root: Doc, parts: string[], create: boolean): Doc | unknown[] | null {
  let cur: Doc | unknown[] = root
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string
    const child: unknown = (cur as Doc)[part]
    let copy: Doc | unknown[]
    if (Array.isArray(child)) copy = child.slice()
    else if (child !== null && typeof child === 'object' && !(child instanceof Date) && !(child instanceof ObjectId)) copy = { ...(child as Doc) }
    else if (child === undefined || child === null) {
      if (!create) return null
      if (child === null) throw commandError('BadValue', `Cannot create field '${parts[i + 1] ?? ''}' in element {${part}: null}`, {})
      copy = {}
    } else {
      throw new UpdateTypeError(`Cannot create field '${parts[i + 1] ?? ''}' in element {${part}: ${JSON.stringify(child)}}`)
    }
    ;(cur as Doc)[part] = copy
    cur = copy
  }
  return cur
}

export class UpdateTypeError extends Error {}

function setPath (root: Doc, path: string, value: unknown): boolean {
  if (!path.includes('.')) {
    const before = root[path]
    if (before !== undefined && typeof before === typeof value && valuesEqual(before, value)) return false
    root[path] = value
    return true
  }
  const parts = path.split('.')
  const before = getPath(root, path)
  if (before !== undefined && valuesEqual(before, value) && typeof before === typeof value) return false
  const parent = parentFor(root, parts, true) as Doc
  ;(parent)[parts[parts.length - 1] as string] = value
  return true
}

function unsetPath (root: Doc, path: string): boolean {
  const parts = path.split('.')
  if (getPath(root, path) === undefined) return false
  const parent = parentFor(root, parts, false)
  if (parent === null) return false
  const last = parts[parts.length - 1] as string
  if (Array.isArray(parent)) parent[Number(last)] = null; else delete parent[last]
  return true
}

function addNumbers (a: unknown, b: unknown, mul: boolean): unknown {
  if (a instanceof Long || b instanceof Long) {
    const x = a instanceof Long ? a : Long.fromNumber(toNumber(a))
    const y = b instanceof Long ? b : Long.fromNumber(toNumber(b))
    return mul ? x.multiply(y) : x.add(y)
  }
  return mul ? toNumber(a) * toNumber(b) : toNumber(a) + toNumber(b)
}

function nativeApply (doc: Doc, u: Doc, isInsert: boolean): boolean {
  let changed = false
  for (const [op, spec] of Object.entries(u)) {
    if (spec === null || typeof spec !== 'object') throw commandError('FailedToParse', `Modifiers operate on fields but we found type ${typeof spec} instead`)
    for (const [path, val] of Object.entries(spec as Doc)) {
      switch (op) {
        case '$set': changed = setPath(doc, path, val) || changed; break
        case '$setOnInsert': if (isInsert) changed = setPath(doc, path, val) || changed; break
        case '$unset': changed = unsetPath(doc, path) || changed; break
        case '$inc': case '$mul': {
          if (!isNumeric(val)) throw commandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${JSON.stringify(val)}}`)
          const cur = getPath(doc, path)
          if (cur !== undefined && cur !== null && !isNumeric(cur)) throw commandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. {_id: ${String(doc._id)}} has the field '${path}' of non-numeric type ${typeof cur}`)
          const next = cur === undefined ? (op === '$mul' ? 0 : val) : addNumbers(cur, val, op === '$mul')
          changed = setPath(doc, path, next) || changed
          break
        }
        case '$min': case '$max': {
          const cur = getPath(doc, path)
          const c = cur === undefined ? 0 : compareValues(val, cur)
          if (cur === undefined || (op === '$min' ? c < 0 : c > 0)) changed = setPath(doc, path, val) || changed
          break
        }
        case '$currentDate': {
          const wantTs = val !== null && typeof val === 'object' && (val as Doc).$type === 'timestamp'
          changed = setPath(doc, path, wantTs ? Timestamp.fromNumber(Math.floor(Date.now() / 1000) * 2 ** 32) : new Date()) || changed
          break
        }
        case '$rename': {
          const cur = getPath(doc, path)
          if (cur === undefined) break
          unsetPath(doc, path); setPath(doc, String(val), cur); changed = true
          break
        }
        case '$push': case '$addToSet': {
          const cur = getPath(doc, path)
          if (cur !== undefined && !Array.isArray(cur)) throw commandError('BadValue', `The field '${path}' must be an array but is of type ${typeof cur} in document {_id: ${String(doc._id)}}`)
          const items = val !== null && typeof val === 'object' && !Array.isArray(val) && '$each' in (val as Doc) ? (val as Doc).$each as unknown[] : [val]
          const arr = Array.isArray(cur) ? cur.slice() : []
          let added = false
          for (const it of items) {
            if (op === '$addToSet' && arr.some((x) => valuesEqual(x, it))) continue
            arr.push(it); added = true
          }
          if (added || cur === undefined) { setPath(doc, path, arr); changed = true }
          break
        }
      }
    }
  }
  return changed
}

function canUseNative (u: Doc): boolean {
  for (const [op, spec] of Object.entries(u)) {
    if (!NATIVE.has(op)) return false
    if (spec === null || typeof spec !== 'object') return true
    for (const [path, val] of Object.entries(spec as Doc)) {
      if (path.includes('$')) return false
      if ((op === '$push' || op === '$addToSet') && val !== null && typeof val === 'object' && !Array.isArray(val)) {
        const keys = Object.keys(val as Doc)
        if (keys.some((k) => k.startsWith('$') && k !== '$each')) return false
      }
    }
  }
  return true
}

function checkIdUnchanged (before: Doc, after: Doc): void {
  if (before._id !== undefined && !valuesEqual(before._id, after._id)) {
    throw commandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'")
  }
}

/**
 * The ingest hot path: an upsert inserting `{$setOnInsert: doc}` (or `$set`) with flat field names becomes that
 * document itself, without copying it field by field.
 */
function freshInsert (seed: Doc, u: Doc): Doc | null {
  const ops = Object.keys(u)
  if (ops.length !== 1 || (ops[0] !== '$setOnInsert' && ops[0] !== '$set')) return null
  const spec = u[ops[0]] as Doc
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return null
  for (const k in spec) if (k.includes('.') || k.startsWith('$')) return null
  for (const k in seed) {
    if (!(k in spec)) return null
    if (!valuesEqual(seed[k], spec[k])) return null
  }
  return spec
}

export interface UpdateOutcome { doc: Doc; changed: boolean }

/** Applies `u` (operators, a replacement, or a pipeline) to a stored (frozen) document, returning a new one. */
export function applyUpdate (stored: Doc, u: Doc | Doc[], isInsert: boolean, arrayFilters?: Doc[], query?: Doc): UpdateOutcome {
  if (Array.isArray(u)) {
    const out = new Aggregator(u).run([deepClone(stored)])[0] as Doc
    checkIdUnchanged(stored, out)
    return { doc: out, changed: !valuesEqual(out, stored) }
  }
  if (!isOperatorUpdate(u)) {
    u = u as Doc
    if (u._id !== undefined && stored._id !== undefined && !valuesEqual(u._id, stored._id)) checkIdUnchanged(stored, u)
    const out: Doc = stored._id !== undefined ? { _id: stored._id } : {}
    for (const [k, v] of Object.entries(u)) if (k !== '_id' || stored._id === undefined) out[k] = v
    return { doc: out, changed: !valuesEqual(out, stored) }
  }
  for (const k of Object.keys(u)) {
    if (!k.startsWith('$')) throw commandError('FailedToParse', `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`)
  }
  let changed: boolean
  let doc: Doc
  try {
    const fresh = isInsert ? freshInsert(stored, u) : null
    if (fresh !== null) {
      doc = fresh
      changed = true
    } else if (canUseNative(u)) {
      doc = { ...stored }
      changed = nativeApply(doc, u, isInsert)
    } else {
      const { $setOnInsert, ...rest } = u
      doc = deepClone(stored)
      // The query goes along so the positional `$` operator can find its array element.
      const paths = Object.keys(rest).length > 0 ? mingoUpdate(doc, rest as never, arrayFilters as never, query as never) : []
      changed = paths.length > 0
      if (isInsert && $setOnInsert !== undefined) changed = nativeApply(doc, { $set: $setOnInsert }, true) || changed
    }
  } catch (err) {
    if (err instanceof UpdateTypeError) throw commandError('BadValue', err.message)
    if (err instanceof Error && !('code' in err)) throw commandError('BadValue', err.message)
    throw err
  }
  checkIdUnchanged(stored, doc)
  return { doc, changed }
}

/** The document an upsert starts from: the filter's equality fields (MongoDB's "query-derived" fields). */
export function seedFromFilter (filter: Doc): Doc {
  const out: Doc = {}
  const visit = (f: Doc): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) { for (const s of v) visit(s as Doc); continue }
      if (k.startsWith('$')) continue
      let val: unknown
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof ObjectId) && Object.keys(v).some((x) => x.startsWith('$'))) {
        if (!('$eq' in (v as Doc))) continue
        val = (v as Doc).$eq
      } else val = v
      if (k.includes('.')) setPath(out, k, val); else out[k] = val
    }
  }
  visit(filter)
  return out
}

// A native $group for the dashboard's shape (group by field paths; $sum/$count/$min/$max/$avg/$first/$last).
// mingo's $group costs several µs per document; a year of events needs better. Anything else goes to mingo.
import { compareValues, getPath, isNumeric, toNumber, valueKey, type Doc } from './values.js'
import { pathFields } from './needed-fields.js'

type Acc = { kind: string; path: string | null; constant: number }
const NATIVE_ACCS = new Set(['$sum', '$count', '$min', '$max', '$avg', '$first', '$last'])

class NotNative extends Error {}

function fieldPath (v: unknown): string | null {
  return typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$') ? v.slice(1) : null
}

function read (doc: Doc, path: string): unknown {
  if (!path.includes('.')) return doc[path]
  const v = getPath(doc, path)
  if (Array.isArray(v)) throw new NotNative('array along a dotted path')
  return v
}

function compile (spec: Doc): { key: (d: Doc) => unknown; accs: Array<[string, Acc]>; paths: string[] } | null {
  const id = spec._id
  let key: (d: Doc) => unknown
  const paths: string[] = []
  const p = fieldPath(id)
  if (p !== null) paths.push(p)
  if (p !== null) key = (d) => { const v = read(d, p); return v === undefined ? null : v }
  else if (id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'))) key = () => id
  else if (id !== null && typeof id === 'object' && Object.getPrototypeOf(id) === Object.prototype) {
    const parts = Object.entries(id as Doc).map(([k, v]) => [k, fieldPath(v)] as const)
    if (parts.some(([k, v]) => v === null || k.startsWith('$'))) return null
    for (const [, v] of parts) paths.push(v as string)
    key = (d) => {
      const out: Doc = {}
      for (const [k, path] of parts) { const v = read(d, path as string); if (v !== undefined) out[k] = v }
      return out
    }
  } else return null
  const accs: Array<[string, Acc]> = []
  for (const [name, raw] of Object.entries(spec)) {
    if (name === '_id') continue
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null
    const ops = Object.entries(raw as Doc)
    if (ops.length !== 1) return null
    const [kind, arg] = ops[0] as [string, unknown]
    if (!NATIVE_ACCS.has(kind)) return null
    if (kind === '$count') { accs.push([name, { kind: '$sum', path: null, constant: 1 }]); continue }
    const path = fieldPath(arg)
    if (path === null) {
      if (kind === '$sum' && typeof arg === 'number') { accs.push([name, { kind, path: null, constant: arg }]); continue }
      return null
    }
    accs.push([name, { kind, path, constant: 0 }])
    paths.push(path)
  }
  return { key, accs, paths }
}

interface State { id: unknown; vals: unknown[]; counts: number[] }

/** Top-level fields a native $group reads (null: not a native $group), so callers decode only those. */
export function groupFields (spec: Doc): Set<string> | null {
  const c = compile(spec)
  return c === null ? null : pathFields(c.paths)
}

/** Groups `items` (each read as a document through `get`) natively, or returns null when the stage needs mingo. */
export function nativeGroup<T> (items: readonly T[], spec: Doc, get: (item: T) => Doc): Doc[] | null {
  const c = compile(spec)
  if (c === null) return null
  const { key, accs } = c
  const groups = new Map<string, State>()
  try {
    for (const item of items) {
      const d = get(item)
      const id = key(d)
      const k = valueKey(id)
      let st = groups.get(k)
      if (st === undefined) {
        st = { id, vals: accs.map(([, a]) => (a.kind === '$sum' ? 0 : undefined)), counts: accs.map(() => 0) }
        groups.set(k, st)
      }
      for (let i = 0; i < accs.length; i++) {
        const a = (accs[i] as [string, Acc])[1]
        const v = a.path === null ? a.constant : read(d, a.path)
        switch (a.kind) {
          case '$sum': if (isNumeric(v)) st.vals[i] = (st.vals[i] as number) + toNumber(v); break
          case '$avg': if (isNumeric(v)) { st.vals[i] = ((st.vals[i] as number | undefined) ?? 0) + toNumber(v); st.counts[i] = (st.counts[i] as number) + 1 } break
          case '$min': if (v !== undefined && v !== null && (st.vals[i] === undefined || compareValues(v, st.vals[i]) < 0)) st.vals[i] = v; break
          case '$max': if (v !== undefined && v !== null && (st.vals[i] === undefined || compareValues(v, st.vals[i]) > 0)) st.vals[i] = v; break
          case '$first': if (st.counts[i] === 0) { st.vals[i] = v === undefined ? null : v; st.counts[i] = 1 } break
          case '$last': st.vals[i] = v === undefined ? null : v; break
        }
      }
    }
  } catch (err) {
    if (err instanceof NotNative) return null
    throw err
  }
  const out: Doc[] = []
  for (const st of groups.values()) {
    const row: Doc = { _id: st.id }
    accs.forEach(([name, a], i) => {
      let v = st.vals[i]
      if (a.kind === '$avg') v = (st.counts[i] as number) > 0 ? (v as number) / (st.counts[i] as number) : null
      if (v === undefined) v = null
      row[name] = v
    })
    out.push(row)
  }
  return out
}

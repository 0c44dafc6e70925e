// Which top-level fields a filter or sort reads, so that matching decodes only those from a stored document.
// null means "cannot tell statically" ($where, $expr, $text, ...): the caller decodes the whole document.
import type { Doc } from './values.js'

export type FieldSet = ReadonlySet<string> | null

export const NO_FIELDS: ReadonlySet<string> = new Set()

const LOGICAL = new Set(['$and', '$or', '$nor'])

function addFilter (filter: unknown, out: Set<string>): boolean {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return false
  for (const [k, v] of Object.entries(filter as Doc)) {
    if (LOGICAL.has(k)) {
      if (!Array.isArray(v)) return false
      for (const sub of v) if (!addFilter(sub, out)) return false
    } else if (k.startsWith('$')) {
      return false
    } else {
      // An operator under a field ($elemMatch, $not, ...) reads only that field's value.
      out.add(firstSegment(k))
    }
  }
  return true
}

export function firstSegment (path: string): string {
  const dot = path.indexOf('.')
  return dot < 0 ? path : path.slice(0, dot)
}

export function filterFields (filter: Doc | undefined | null): FieldSet {
  if (filter === undefined || filter === null) return NO_FIELDS
  const out = new Set<string>()
  return addFilter(filter, out) ? out : null
}

export function pathFields (paths: Iterable<string>): Set<string> {
  const out = new Set<string>()
  for (const p of paths) out.add(firstSegment(p))
  return out
}

export function unionFields (...sets: FieldSet[]): FieldSet {
  const out = new Set<string>()
  for (const s of sets) {
    if (s === null) return null
    for (const f of s) out.add(f)
  }
  return out
}

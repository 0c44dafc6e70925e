// Timestamp normalisation: every source's time format becomes a UTC Date, or null when it cannot be trusted.

// Jira writes "+0000"; JavaScript's Date only understands "+00:00".
const COMPACT_OFFSET = /([+-])(\d{2})(\d{2})$/
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/
const DIGITS = /^\d{10,16}$/

/** Accepts Date, epoch milliseconds (number or digit string), and ISO 8601 strings; zone-less strings are UTC. */
export function normaliseTime (value: unknown): Date | null {
  let ms: number
  if (value instanceof Date) {
    ms = value.getTime()
  } else if (typeof value === 'number') {
    ms = value
  } else if (typeof value === 'string') {
    const s = value.trim()
    if (DIGITS.test(s)) {
      ms = Number(s)
    } else if (ISO_LIKE.test(s)) {
      let iso = s.replace(' ', 'T').replace(COMPACT_OFFSET, '$1$2:$3')
      if (iso.length > 10 && !HAS_ZONE.test(iso)) iso += 'Z'
      ms = Date.parse(iso)
    } else {
      return null
    }
  } else {
    return null
  }
  if (!Number.isFinite(ms)) return null
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? null : date
}

/** The UTC day a timestamp falls on, as midnight UTC. */
export function utcDay (date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
}

// The JQL and CQL subsets the simulator understands: time bounds on updated/lastmodified, project/space
// and type filters, and an ORDER BY on the time field. Anything else is rejected like Atlassian rejects bad queries.

export interface TimeQuery {
  from: number | null
  fromInclusive: boolean
  to: number | null
  toInclusive: boolean
  containers: string[] | null
  types: string[] | null
  desc: boolean
}

/** "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyy-MM-dd", ISO, or epoch ms; interpreted in UTC (the simulator's user time zone). */
export function parseQueryDate (raw: string): number | null {
  const s = raw.trim().replace(/^["']|["']$/g, '')
  if (/^\d{10,}$/.test(s)) return Number(s)
  const m = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s)
  if (m !== null) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0))
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : t
}

function listOf (raw: string): string[] {
  return raw.split(',').map((x) => x.trim().replace(/^["']|["']$/g, '')).filter((x) => x !== '')
}

/** Drops unmatched outer parentheses left over from splitting on AND. */
function balance (clause: string): string {
  let c = clause
  const opens = (x: string): number => x.split('(').length - 1
  const closes = (x: string): number => x.split(')').length - 1
  while (c.startsWith('(') && opens(c) > closes(c)) c = c.slice(1).trim()
  while (c.endsWith(')') && closes(c) > opens(c)) c = c.slice(0, -1).trim()
  while (c.startsWith('(') && c.endsWith(')') && opens(c) === 1 && closes(c) === 1) c = c.slice(1, -1).trim()
  return c
}

export class QueryError extends Error {}

/** Parses `clause AND clause ... [ORDER BY field ASC|DESC]` for one time field and one container field. */
export function parseTimeQuery (query: string, timeField: string, containerField: string, typeField: string | null): TimeQuery {
  const q: TimeQuery = { from: null, fromInclusive: true, to: null, toInclusive: true, containers: null, types: null, desc: false }
  let text = query.trim()
  const order = /\s*order\s+by\s+(\w+)(?:\s+(asc|desc))?\s*$/i.exec(text)
  if (order !== null) {
    if (order[1]!.toLowerCase() !== timeField) throw new QueryError(`ORDER BY ${order[1]!} is not supported by this simulator; use ORDER BY ${timeField}`)
    q.desc = (order[2] ?? 'asc').toLowerCase() === 'desc'
    text = text.slice(0, order.index)
  }
  if (text.trim() === '') return q
  const clauses = text.split(/\s+and\s+/i)
  for (const c of clauses) {
    const clause = balance(c.trim())
    const time = new RegExp(`^${timeField}\\s*(>=|<=|>|<|=)\\s*(.+)$`, 'i').exec(clause)
    if (time !== null) {
      const t = parseQueryDate(time[2]!)
      if (t === null) throw new QueryError(`Date value '${time[2]!}' for field '${timeField}' is invalid`)
      const op = time[1]!
      if (op === '>=' || op === '>') { q.from = t; q.fromInclusive = op === '>=' }
      else if (op === '<=' || op === '<') { q.to = t; q.toInclusive = op === '<=' }
      else { q.from = t; q.to = t }
      continue
    }
    const inList = new RegExp(`^(${containerField}${typeField === null ? '' : '|' + typeField})\\s+in\\s*\\((.*)\\)$`, 'i').exec(clause)
    const eq = new RegExp(`^(${containerField}${typeField === null ? '' : '|' + typeField})\\s*=\\s*(.+)$`, 'i').exec(clause)
    const hit = inList ?? eq
    if (hit !== null) {
      const values = listOf(hit[2]!)
      if (hit[1]!.toLowerCase() === containerField) q.containers = values
      else q.types = values.map((v) => v.toLowerCase())
      continue
    }
    throw new QueryError(`Unsupported clause '${clause}'`)
  }
  return q
}

export function matchesTime (q: TimeQuery, t: number): boolean {
  if (q.from !== null && (q.fromInclusive ? t < q.from : t <= q.from)) return false
  if (q.to !== null && (q.toInclusive ? t > q.to : t >= q.to)) return false
  return true
}

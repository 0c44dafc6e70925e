// Jira Cloud REST v3 (and the JSM servicedesk list): audit records, enhanced JQL search, issue changelog,
// comments, worklogs, users, groups and projects. Paging styles follow API-NOTES §1, §5, §7.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { decodeCursor, encodeCursor, intParam, origin, repeatCursor, toArray, type SimContext } from './context.js'
import { ProductKind, sendError } from './products.js'
import { auditRecordJson, commentJson, historyJson, isActive, issueJson, jiraUser, projectJson, worklogJson, ALL_FIELDS } from './jira-format.js'
import { ISSUE_ID_BASE, WORKLOG_ID_BASE, issueUpdated } from './jira-data.js'
import { membersAt } from './audit-data.js'
import { parseQueryDate, parseTimeQuery, QueryError, type TimeQuery } from './query-parsers.js'
import { lowerBound, upperBound } from './timeline.js'

type Q = Record<string, string | string[] | undefined>

function bad (reply: FastifyReply, msg: string): FastifyReply { return sendError(reply, ProductKind.Jira, 400, msg) }

function notFoundIssue (reply: FastifyReply): FastifyReply {
  return sendError(reply, ProductKind.Jira, 404, 'Issue does not exist or you do not have permission to see it.')
}

/** Resolves an issue id or key to its index if it exists at clock-now. */
function findIssue (ctx: SimContext, idOrKey: string): number | null {
  const d = ctx.world.jira
  let i: number | undefined
  if (/^\d+$/.test(idOrKey)) {
    const n = Number(idOrKey) - ISSUE_ID_BASE
    i = n >= 0 && n < d.issues ? n : undefined
  } else i = d.byKey.get(idOrKey.toUpperCase())
  if (i === undefined || d.created[i]! > ctx.clock.nowMs()) return null
  return i
}

function parseFields (raw: unknown, def: readonly string[]): string[] {
  const list = toArray(raw)
  if (list.length === 0) return [...def]
  if (list.includes('*all') || list.includes('*navigable')) return [...ALL_FIELDS]
  return list.filter((f) => f !== 'id' && f !== 'key' && !f.startsWith('-'))
}

interface JqlListing { idx: Uint32Array, upd: Float64Array }

function jqlListing (ctx: SimContext, snap: number, projects: number[] | null): JqlListing {
  return ctx.snapshot(`jql|${snap}|${projects?.join(',') ?? '*'}`, () => {
    const d = ctx.world.jira
    const end = upperBound(d.created, snap)
    const rows: Array<[number, number]> = []
    const allowed = projects === null ? null : new Set(projects)
    for (let i = 0; i < end; i++) {
      if (allowed !== null && !allowed.has(d.project[i]!)) continue
      rows.push([issueUpdated(d, i, snap), i])
    }
    rows.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]))
    return { idx: Uint32Array.from(rows, (r) => r[1]), upd: Float64Array.from(rows, (r) => r[0]) }
  })
}

interface JqlToken { s: number, o: number }

function searchJql (ctx: SimContext, req: FastifyRequest, reply: FastifyReply, p: { jql?: string, nextPageToken?: string, maxResults?: unknown, fields?: unknown, expand?: unknown }): FastifyReply {
  let q: TimeQuery
  try { q = parseTimeQuery(p.jql ?? '', 'updated', 'project', null) } catch (e) {
    if (e instanceof QueryError) return bad(reply, `Error in the JQL Query: ${e.message}`)
    throw e
  }
  // Enhanced search refuses unbounded queries.
  if (q.from === null && q.to === null && q.containers === null) return bad(reply, 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.')
  const org = ctx.world.org
  let projects: number[] | null = null
  if (q.containers !== null) {
    projects = []
    for (const c of q.containers) {
      const p = org.projects.find((x) => x.key.toLowerCase() === c.toLowerCase() || x.id === c)
      if (p === undefined) return bad(reply, `The value '${c}' does not exist for the field 'project'.`)
      projects.push(p.index)
    }
    projects.sort((a, b) => a - b)
  }
  const fields = parseFields(p.fields, [])
  const expand = toArray(p.expand)
  const changelog = expand.includes('changelog')
  const onlyIds = fields.length === 0 && !changelog
  const max = intParam(p.maxResults, 50, 1, onlyIds ? 5000 : 100)
  const token = p.nextPageToken === undefined || p.nextPageToken === '' ? null : decodeCursor<JqlToken>(p.nextPageToken)
  if (p.nextPageToken !== undefined && p.nextPageToken !== '' && (token === null || typeof token.s !== 'number')) return bad(reply, 'Invalid nextPageToken.')
  const snap = token?.s ?? ctx.clock.nowMs()
  const offset = token?.o ?? 0
  const listing = jqlListing(ctx, snap, projects)
  let lo = 0
  let hi = listing.upd.length
  if (q.from !== null) lo = q.fromInclusive ? lowerBound(listing.upd, q.from) : upperBound(listing.upd, q.from)
  if (q.to !== null) hi = q.toInclusive ? upperBound(listing.upd, q.to) : lowerBound(listing.upd, q.to)
  const total = Math.max(0, hi - lo)
  const d = ctx.world.jira
  const issues = []
  for (let k = offset; k < Math.min(total, offset + max); k++) {
    const pos = q.desc ? hi - 1 - k : lo + k
    issues.push(issueJson(ctx, req, d, listing.idx[pos]!, fields, changelog))
  }
  const more = offset + max < total
  const body: Record<string, unknown> = { issues }
  if (repeatCursor(ctx, req)) {
    body.nextPageToken = encodeCursor({ s: snap, o: offset })
    body.isLast = false
  } else {
    if (more) body.nextPageToken = encodeCursor({ s: snap, o: offset + max })
    body.isLast = !more
  }
  return reply.send(body)
}

export function registerJiraRoutes (app: FastifyInstance, ctx: SimContext): void {
  const now = (): number => ctx.clock.nowMs()

  app.get('/rest/api/3/auditing/record', async (req, reply) => {
    const q = req.query as Q
    const a = ctx.world.jiraAudit
    const offset = intParam(q.offset, 0, 0, Number.MAX_SAFE_INTEGER)
    const limit = intParam(q.limit, 1000, 1, 1000)
    const from = typeof q.from === 'string' ? parseQueryDate(q.from.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : null
    const to = typeof q.to === 'string' ? parseQueryDate(q.to.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : null
    if ((typeof q.from === 'string' && from === null) || (typeof q.to === 'string' && to === null)) return bad(reply, 'Invalid date format. Use ISO 8601 date-time.')
    if (from !== null && to !== null && from >= to) return reply.send({ offset, limit, total: 0, records: [] })
    const lo = from === null ? 0 : lowerBound(a.time, from)
    const hi = upperBound(a.time, Math.min(to ?? Infinity, now()))
    const filters = typeof q.filter === 'string' ? q.filter.toLowerCase().split(/\s+/).filter((x) => x !== '') : []
    // Newest first, as Jira does in practice.
    if (filters.length === 0) {
      const total = Math.max(0, hi - lo)
      const records = []
      for (let k = offset; k < Math.min(total, offset + limit); k++) records.push(auditRecordJson(ctx, hi - 1 - k))
      return reply.send({ offset, limit, total, records })
    }
    const matched: number[] = []
    for (let i = hi - 1; i >= lo; i--) {
      const text = JSON.stringify(auditRecordJson(ctx, i)).toLowerCase()
      if (filters.every((f) => text.includes(f))) matched.push(i)
    }
    return reply.send({ offset, limit, total: matched.length, records: matched.slice(offset, offset + limit).map((i) => auditRecordJson(ctx, i)) })
  })

  app.get('/rest/api/3/search/jql', async (req, reply) => {
    const q = req.query as Q
    return searchJql(ctx, req, reply, { jql: q.jql as string | undefined, nextPageToken: q.nextPageToken as string | undefined, maxResults: q.maxResults, fields: q.fields, expand: q.expand })
  })
  app.post('/rest/api/3/search/jql', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    return searchJql(ctx, req, reply, { jql: b.jql as string | undefined, nextPageToken: (b.nextPageToken ?? undefined) as string | undefined, maxResults: b.maxResults, fields: b.fields, expand: b.expand })
  })

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key', async (req, reply) => {
    const i = findIssue(ctx, req.params.key)
    if (i === null) return notFoundIssue(reply)
    const q = req.query as Q
    return reply.send(issueJson(ctx, req, ctx.world.jira, i, parseFields(q.fields, ALL_FIELDS), toArray(q.expand).includes('changelog')))
  })

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key/changelog', async (req, reply) => {
    const i = findIssue(ctx, req.params.key)
    if (i === null) return notFoundIssue(reply)
    const q = req.query as Q
    const d = ctx.world.jira
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 100, 1, 100)
    const lo = d.hStart[i]!
    const end = upperBound(d.hTime, now(), lo, d.hStart[i + 1]!)
    const total = end - lo
    const values = []
    for (let h = lo + startAt; h < Math.min(end, lo + startAt + max); h++) values.push(historyJson(ctx, req, d, i, h))
    const isLast = startAt + max >= total
    const self = `${origin(req)}/rest/api/3/issue/${req.params.key}/changelog?maxResults=${max}&startAt=${startAt}`
    const body: Record<string, unknown> = { self, maxResults: max, startAt, total, isLast, values }
    if (!isLast) body.nextPage = `${origin(req)}/rest/api/3/issue/${req.params.key}/changelog?maxResults=${max}&startAt=${startAt + max}`
    return reply.send(body)
  })

  // Bulk changelogs (read-only POST): histories of ≤1000 issues, flattened and paged by nextPageToken.
  app.post('/rest/api/3/changelog/bulkfetch', async (req, reply) => {
    const b = (req.body ?? {}) as { issueIdsOrKeys?: unknown, fieldIds?: unknown, maxResults?: unknown, nextPageToken?: unknown }
    if (!Array.isArray(b.issueIdsOrKeys) || b.issueIdsOrKeys.length === 0) return bad(reply, 'issueIdsOrKeys is required.')
    if (b.issueIdsOrKeys.length > 1000) return bad(reply, 'The number of issues exceeds the limit of 1000.')
    const fieldIds = Array.isArray(b.fieldIds) ? b.fieldIds.map(String) : []
    if (fieldIds.length > 10) return bad(reply, 'The number of field IDs exceeds the limit of 10.')
    const max = intParam(b.maxResults, 1000, 1, 10_000)
    const token = typeof b.nextPageToken === 'string' && b.nextPageToken !== '' ? decodeCursor<JqlToken>(b.nextPageToken) : null
    if (typeof b.nextPageToken === 'string' && b.nextPageToken !== '' && token === null) return bad(reply, 'Invalid nextPageToken.')
    const snap = token?.s ?? now()
    const d = ctx.world.jira
    const flat: Array<[number, number]> = []
    for (const raw of b.issueIdsOrKeys) {
      const i = findIssue(ctx, String(raw))
      if (i === null) continue
      const end = upperBound(d.hTime, snap, d.hStart[i]!, d.hStart[i + 1]!)
      for (let h = d.hStart[i]!; h < end; h++) flat.push([i, h])
    }
    const offset = token?.o ?? 0
    const byIssue = new Map<number, unknown[]>()
    let taken = 0
    let k = offset
    for (; k < flat.length && taken < max; k++) {
      const [i, h] = flat[k]!
      const history = historyJson(ctx, req, d, i, h) as { items: Array<{ fieldId: string }>, created: string }
      if (fieldIds.length > 0 && !history.items.some((it) => fieldIds.includes(it.fieldId))) continue
      // bulkfetch reports `created` as epoch milliseconds (API-NOTES §5b).
      const list = byIssue.get(i) ?? []
      list.push({ ...history, created: d.hTime[h]! })
      byIssue.set(i, list)
      taken++
    }
    const body: Record<string, unknown> = { issueChangeLogs: [...byIssue].map(([i, changeHistories]) => ({ issueId: String(ISSUE_ID_BASE + i), changeHistories })) }
    if (repeatCursor(ctx, req)) body.nextPageToken = encodeCursor({ s: snap, o: offset })
    else if (k < flat.length) body.nextPageToken = encodeCursor({ s: snap, o: k })
    return reply.send(body)
  })

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key/comment', async (req, reply) => {
    const i = findIssue(ctx, req.params.key)
    if (i === null) return notFoundIssue(reply)
    const q = req.query as Q
    const d = ctx.world.jira
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 100, 1, 100)
    const lo = d.cStart[i]!
    const end = upperBound(d.cTime, now(), lo, d.cStart[i + 1]!)
    const ids: number[] = []
    for (let c = lo; c < end; c++) ids.push(c)
    if (q.orderBy === '-created') ids.reverse()
    const comments = ids.slice(startAt, startAt + max).map((c) => commentJson(ctx, req, d, i, c))
    return reply.send({ startAt, maxResults: max, total: ids.length, comments })
  })

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key/worklog', async (req, reply) => {
    const i = findIssue(ctx, req.params.key)
    if (i === null) return notFoundIssue(reply)
    const q = req.query as Q
    const d = ctx.world.jira
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 5000, 1, 5000)
    const ids: number[] = []
    for (let w = d.wStart[i]!; w < d.wStart[i + 1]!; w++) if (d.wTime[w]! <= now()) ids.push(w)
    ids.sort((a, b) => d.wTime[a]! - d.wTime[b]!)
    return reply.send({ startAt, maxResults: max, total: ids.length, worklogs: ids.slice(startAt, startAt + max).map((w) => worklogJson(ctx, req, d, w)) })
  })

  app.get('/rest/api/3/worklog/updated', async (req, reply) => {
    const q = req.query as Q
    const d = ctx.world.jira
    const since = intParam(q.since, 0, 0, Number.MAX_SAFE_INTEGER)
    // Jira leaves out worklogs updated during the minute before the request.
    const cutoff = now() - 60_000
    const lo = lowerBound(d.wSorted, since)
    const hi = lowerBound(d.wSorted, cutoff)
    const page = 1000
    const end = Math.min(hi, lo + page)
    const values = []
    for (let k = lo; k < end; k++) values.push({ worklogId: WORKLOG_ID_BASE + d.wOrder[k]!, updatedTime: d.wSorted[k]!, properties: [] })
    const until = end > lo ? d.wSorted[end - 1]! : since
    const lastPage = end >= hi
    const repeat = repeatCursor(ctx, req)
    const nextSince = repeat ? since : (end > lo ? until + 1 : since)
    // Jira sends nextPage even on the last page; callers must stop on lastPage.
    return reply.send({
      values,
      since,
      until,
      self: `${origin(req)}/rest/api/3/worklog/updated?since=${since}`,
      nextPage: `${origin(req)}/rest/api/3/worklog/updated?since=${nextSince}`,
      lastPage: repeat ? false : lastPage
    })
  })

  app.post('/rest/api/3/worklog/list', async (req, reply) => {
    const b = (req.body ?? {}) as { ids?: unknown }
    if (!Array.isArray(b.ids)) return bad(reply, 'ids is required.')
    if (b.ids.length > 1000) return bad(reply, 'The number of worklog IDs exceeds the limit of 1000.')
    const d = ctx.world.jira
    const out = []
    for (const raw of b.ids) {
      const w = Number(raw) - WORKLOG_ID_BASE
      if (!Number.isInteger(w) || w < 0 || w >= d.wTime.length || d.wTime[w]! > now()) continue
      out.push(worklogJson(ctx, req, d, w))
    }
    return reply.send(out)
  })

  app.get('/rest/api/3/users/search', async (req, reply) => {
    const q = req.query as Q
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 50, 1, 1000)
    return reply.send(ctx.world.org.people.slice(startAt, startAt + max).map((p) => jiraUser(ctx, req, p)))
  })

  app.get('/rest/api/3/user', async (req, reply) => {
    const q = req.query as Q
    const p = ctx.world.org.people.find((x) => x.accountId === q.accountId)
    if (p === undefined) return sendError(reply, ProductKind.Jira, 404, `Specified user does not exist or you do not have required permissions`)
    return reply.send(jiraUser(ctx, req, p))
  })

  app.get('/rest/api/3/myself', async (req, reply) => reply.send(jiraUser(ctx, req, ctx.world.org.people[0]!)))

  app.get('/rest/api/3/group/bulk', async (req, reply) => {
    const q = req.query as Q
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 50, 1, 50)
    const groups = ctx.world.org.groups
    const values = groups.slice(startAt, startAt + max).map((g) => ({ groupId: g.groupId, name: g.name }))
    return reply.send({ maxResults: max, startAt, total: groups.length, isLast: startAt + max >= groups.length, values })
  })

  app.get('/rest/api/3/group/member', async (req, reply) => {
    const q = req.query as Q
    const g = ctx.world.org.groups.find((x) => x.name === q.groupname || x.groupId === q.groupId)
    if (g === undefined) return sendError(reply, ProductKind.Jira, 404, 'Specified group does not exist.')
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 50, 1, 50)
    const includeInactive = q.includeInactiveUsers === 'true'
    const members = membersAt(ctx.world.membership, g.index, now()).map((i) => ctx.world.org.people[i]!).filter((p) => includeInactive || isActive(p, now()))
    const values = members.slice(startAt, startAt + max).map((p) => jiraUser(ctx, req, p))
    const isLast = startAt + max >= members.length
    const base = `${origin(req)}/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=${includeInactive}&maxResults=${max}`
    const body: Record<string, unknown> = { self: `${base}&startAt=${startAt}`, maxResults: max, startAt, total: members.length, isLast, values }
    if (!isLast) body.nextPage = `${base}&startAt=${startAt + max}`
    return reply.send(body)
  })

  app.get('/rest/api/3/project/search', async (req, reply) => {
    const q = req.query as Q
    const startAt = intParam(q.startAt, 0, 0, Number.MAX_SAFE_INTEGER)
    const max = intParam(q.maxResults, 50, 1, 100)
    const types = toArray(q.typeKey)
    const all = ctx.world.org.projects.filter((p) => types.length === 0 || types.includes(p.typeKey))
    const isLast = startAt + max >= all.length
    const body: Record<string, unknown> = { self: `${origin(req)}/rest/api/3/project/search?startAt=${startAt}&maxResults=${max}`, maxResults: max, startAt, total: all.length, isLast, values: all.slice(startAt, startAt + max).map((p) => projectJson(req, p)) }
    if (!isLast) body.nextPage = `${origin(req)}/rest/api/3/project/search?startAt=${startAt + max}&maxResults=${max}`
    return reply.send(body)
  })

  app.get('/rest/servicedeskapi/servicedesk', async (req, reply) => {
    const q = req.query as Q
    const start = intParam(q.start, 0, 0, Number.MAX_SAFE_INTEGER)
    const limit = intParam(q.limit, 50, 1, 100)
    const desks = ctx.world.org.projects.filter((p) => p.serviceDeskId !== null)
    const base = `${origin(req)}/rest/servicedeskapi`
    const values = desks.slice(start, start + limit).map((p) => ({ id: p.serviceDeskId, projectId: p.id, projectName: p.name, projectKey: p.key, _links: { self: `${base}/servicedesk/${p.serviceDeskId!}` } }))
    const isLastPage = start + limit >= desks.length
    const links: Record<string, string> = { base: origin(req), context: '', self: `${base}/servicedesk?start=${start}&limit=${limit}` }
    if (!isLastPage) links.next = `${base}/servicedesk?start=${start + limit}&limit=${limit}`
    return reply.send({ size: values.length, start, limit, isLastPage, values, _links: links })
  })
}

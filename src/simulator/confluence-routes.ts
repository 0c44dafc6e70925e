// Confluence Cloud: v1 audit log and CQL search, v2 spaces, pages, blog posts and their versions.
// Paging: audit start/limit/size; search cursor in _links.next (relative to _links.base);
// v2 cursor in the Link header and _links.next (relative to the site origin).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { decodeCursor, encodeCursor, intParam, isoTime, origin, quirk, QuirkTag, repeatCursor, toArray, type SimContext } from './context.js'
import { ProductKind, sendError } from './products.js'
import { CONFLUENCE_AUDIT_KINDS } from './audit-data.js'
import { CONTENT_ID_BASE, visibleVersions, type ConfluenceData } from './confluence-data.js'
import { BLOG_TITLES, PAGE_TITLES } from './names.js'
import { hash32, hashPick } from './prng.js'
import { maybeHostile, type Person } from './org-model.js'
import { lowerBound, upperBound } from './timeline.js'
import { parseTimeQuery, QueryError, matchesTime, type TimeQuery } from './query-parsers.js'

type Q = Record<string, string | string[] | undefined>
interface SnapCursor { s: number, o: number }

function contentTitle (ctx: SimContext, i: number): string {
  const d = ctx.world.confluence
  const org = ctx.world.org
  const base = d.type[i] === 0 ? hashPick(PAGE_TITLES, org.seed, 0x61, i) : hashPick(BLOG_TITLES, org.seed, 0x62, i)
  return maybeHostile(org, `${base} ${i + 1}`, 0x63, i)
}

function contentId (i: number): string { return String(CONTENT_ID_BASE + i) }

function findContent (ctx: SimContext, id: string, type: 0 | 1, now: number): number | null {
  const d = ctx.world.confluence
  const i = Number(id) - CONTENT_ID_BASE
  if (!Number.isInteger(i) || i < 0 || i >= d.contents || d.type[i] !== type || visibleVersions(d, i, now) === 0) return null
  return i
}

function versionJson (ctx: SimContext, d: ConfluenceData, i: number, v: number): Record<string, unknown> {
  const org = ctx.world.org
  const global = d.vStart[i]! + v
  return quirk(ctx, QuirkTag.Version, global, {
    createdAt: isoTime(d.vTime[global]!),
    message: v === 0 ? '' : hashPick(['', 'typo', 'updated section', 'added diagram', ''], org.seed, 0x64, global),
    number: v + 1,
    minorEdit: v > 0 && hash32(org.seed, 0x65, global) % 4 === 0,
    authorId: org.people[d.vAuthor[global]!]!.accountId
  }, ['message'])
}

function contentJson (ctx: SimContext, d: ConfluenceData, i: number, now: number): Record<string, unknown> {
  const org = ctx.world.org
  const space = org.spaces[d.space[i]!]!
  const n = visibleVersions(d, i, now)
  const r: Record<string, unknown> = {
    id: contentId(i),
    status: 'current',
    title: contentTitle(ctx, i),
    spaceId: space.id,
    authorId: org.people[d.author[i]!]!.accountId,
    ownerId: org.people[d.author[i]!]!.accountId,
    createdAt: isoTime(d.created[i]!),
    version: versionJson(ctx, d, i, n - 1),
    body: {},
    _links: { webui: `/spaces/${space.key}/${d.type[i] === 0 ? 'pages' : 'blog'}/${contentId(i)}`, tinyui: `/x/${contentId(i)}` }
  }
  if (d.type[i] === 0) { r.parentId = space.homepageId; r.parentType = 'page'; r.position = i % 1000; r.lastOwnerId = null }
  return quirk(ctx, QuirkTag.Content, i, r, ['ownerId', 'body'])
}

function auditJson (ctx: SimContext, i: number): Record<string, unknown> {
  const org = ctx.world.org
  const a = ctx.world.confluenceAudit
  const kind = CONFLUENCE_AUDIT_KINDS[a.kind[i]!]!
  const actor = org.people[a.actor[i]!]!
  const author = (p: Person): Record<string, unknown> => ({ type: 'user', displayName: p.displayName, operations: null, username: '', userKey: '', accountId: p.accountId, accountType: 'atlassian', externalCollaborator: false, isExternalCollaborator: false, isGuest: false, publicName: p.displayName })
  const space = org.spaces[a.target[i]! % org.spaces.length]!
  const affectedObject = kind.target === 'space' ? { name: space.name, objectType: 'Space' } : { name: 'Confluence', objectType: 'Global' }
  const associatedObjects = a.subject[i]! >= 0 ? [{ name: org.people[a.subject[i]!]!.displayName, objectType: 'User' }] : []
  const changedValues = kind.category === 'Permissions' ? [{ name: 'Permission', oldValue: '', hiddenOldValue: '', newValue: hashPick(['View', 'Add page', 'Delete page', 'Admin'], org.seed, 0x66, i), hiddenNewValue: '' }] : []
  return quirk(ctx, QuirkTag.ConfluenceAudit, i, {
    author: author(actor),
    remoteAddress: `198.51.100.${1 + (hash32(org.seed, 0x67, i) % 250)}`,
    creationDate: a.time[i]!,
    summary: kind.summary,
    description: '',
    category: kind.category,
    sysAdmin: false,
    superAdmin: false,
    affectedObject,
    changedValues,
    associatedObjects
  }, ['remoteAddress', 'description'])
}

/** Builds a next link from the request's own query with a new cursor value. */
function linkWith (req: FastifyRequest, path: string, cursorParam: string, cursor: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(req.query as Q)) {
    if (k === cursorParam || v === undefined || k in extra) continue
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x)
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v)
  q.set(cursorParam, cursor)
  return `${path}?${q.toString()}`
}

export function registerConfluenceRoutes (app: FastifyInstance, ctx: SimContext): void {
  const now = (): number => ctx.clock.nowMs()
  const bad = (reply: FastifyReply, msg: string): FastifyReply => sendError(reply, ProductKind.ConfluenceV1, 400, msg)

  const auditPage = (req: FastifyRequest, reply: FastifyReply, from: number | null, to: number | null): FastifyReply => {
    const q = req.query as Q
    const a = ctx.world.confluenceAudit
    const start = intParam(q.start, 0, 0, Number.MAX_SAFE_INTEGER)
    const limit = intParam(q.limit, 1000, 1, 1000)
    const lo = from === null ? 0 : lowerBound(a.time, from)
    const hi = upperBound(a.time, Math.min(to ?? Infinity, now()))
    const search = typeof q.searchString === 'string' && q.searchString !== '' ? q.searchString.toLowerCase() : null
    let ids: number[] = []
    // Newest first.
    if (search === null) {
      for (let k = start; k < Math.min(hi - lo, start + limit); k++) ids.push(hi - 1 - k)
    } else {
      const all: number[] = []
      for (let i = hi - 1; i >= lo; i--) if (JSON.stringify(auditJson(ctx, i)).toLowerCase().includes(search)) all.push(i)
      ids = all.slice(start, start + limit)
    }
    const results = ids.map((i) => auditJson(ctx, i))
    const base = `${origin(req)}/wiki`
    const links: Record<string, string> = { base, context: '/wiki', self: `${base}${req.url.replace(/^\/wiki/, '')}` }
    if (results.length === limit) links.next = linkWith(req, '/rest/api/audit', 'start', String(start + limit))
    return reply.send({ results, start, limit, size: results.length, _links: links })
  }

  app.get('/wiki/rest/api/audit', async (req, reply) => {
    const q = req.query as Q
    const from = q.startDate === undefined ? null : Number(q.startDate)
    const to = q.endDate === undefined ? null : Number(q.endDate)
    if ((from !== null && !Number.isFinite(from)) || (to !== null && !Number.isFinite(to))) return bad(reply, 'startDate and endDate must be epoch milliseconds')
    return auditPage(req, reply, from, to)
  })

  app.get('/wiki/rest/api/audit/since', async (req, reply) => {
    const q = req.query as Q
    const number = intParam(q.number, 3, 0, 1_000_000)
    const units: Record<string, number> = { MINUTES: 60_000, HOURS: 3_600_000, HALF_DAYS: 43_200_000, DAYS: 86_400_000, WEEKS: 604_800_000, MONTHS: 2_592_000_000, YEARS: 31_536_000_000 }
    const unit = units[String(q.units ?? 'MONTHS').toUpperCase()]
    if (unit === undefined) return bad(reply, 'Unsupported units')
    return auditPage(req, reply, now() - number * unit, null)
  })

  // `search` wraps each hit (content, lastModified, …); `content/search` returns content objects with expand.
  const cqlSearch = (shape: 'search' | 'content') => async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Q
    if (typeof q.cql !== 'string' || q.cql.trim() === '') return bad(reply, 'cql is required')
    let tq: TimeQuery
    try { tq = parseTimeQuery(q.cql, 'lastmodified', 'space', 'type') } catch (e) {
      if (e instanceof QueryError) return bad(reply, `Could not parse cql : ${q.cql}`)
      throw e
    }
    const limit = intParam(q.limit, 25, 1, 100)
    const cur = decodeCursor<SnapCursor>(q.cursor as string | undefined)
    const snap = cur?.s ?? now()
    const offset = cur?.o ?? 0
    const d = ctx.world.confluence
    const org = ctx.world.org
    const spaces = tq.containers === null ? null : new Set(tq.containers.map((k) => k.toUpperCase()))
    const types = tq.types
    const listing = ctx.snapshot(`cql|${snap}|${q.cql}`, () => {
      const rows: Array<[number, number]> = []
      for (let i = 0; i < d.contents && d.created[i]! <= snap; i++) {
        if (spaces !== null && !spaces.has(org.spaces[d.space[i]!]!.key)) continue
        if (types !== null && !types.includes(d.type[i] === 0 ? 'page' : 'blogpost')) continue
        const n = visibleVersions(d, i, snap)
        const t = d.vTime[d.vStart[i]! + n - 1]!
        if (matchesTime(tq, t)) rows.push([t, i])
      }
      rows.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]))
      if (tq.desc) rows.reverse()
      return rows
    })
    const expand = toArray(q.expand)
    const page = listing.slice(offset, offset + limit)
    const results = page.map(([t, i]) => {
      if (shape === 'content') return contentSearchJson(i, t)
      const space = org.spaces[d.space[i]!]!
      const type = d.type[i] === 0 ? 'page' : 'blogpost'
      const content: Record<string, unknown> = {
        id: contentId(i),
        type,
        status: 'current',
        title: contentTitle(ctx, i),
        _links: { webui: `/spaces/${space.key}/${type === 'page' ? 'pages' : 'blog'}/${contentId(i)}`, self: `${origin(req)}/wiki/rest/api/content/${contentId(i)}`, tinyui: `/x/${contentId(i)}` },
        _expandable: { container: '', space: `/rest/api/space/${space.key}`, version: '', history: `/rest/api/content/${contentId(i)}/history` }
      }
      if (expand.some((e) => e.includes('version'))) {
        const n = visibleVersions(d, i, snap)
        const g = d.vStart[i]! + n - 1
        const by = org.people[d.vAuthor[g]!]!
        content.version = { by: { type: 'known', accountId: by.accountId, accountType: 'atlassian', displayName: by.displayName, publicName: by.displayName }, when: isoTime(t), number: n, minorEdit: false }
      }
      if (expand.some((e) => e.includes('space'))) content.space = { id: Number(space.id), key: space.key, name: space.name, type: space.type, status: 'current' }
      if (expand.some((e) => e === 'content.history' || e.startsWith('content.history.'))) {
        // ContentHistory: the creation (= version 1) and, when asked for, the version before the current one.
        const person = (p: typeof org.people[number]): Record<string, unknown> => ({ type: 'known', accountId: p.accountId, accountType: 'atlassian', displayName: p.displayName, publicName: p.displayName })
        const history: Record<string, unknown> = { latest: true, createdBy: person(org.people[d.author[i]!]!), createdDate: isoTime(d.created[i]!) }
        const n = visibleVersions(d, i, snap)
        if (expand.includes('content.history.previousVersion') && n >= 2) {
          const g = d.vStart[i]! + n - 2
          history.previousVersion = { by: person(org.people[d.vAuthor[g]!]!), when: isoTime(d.vTime[g]!), number: n - 1, minorEdit: false }
        }
        content.history = history
      }
      return {
        content,
        title: contentTitle(ctx, i),
        excerpt: '',
        url: `/spaces/${space.key}/${type === 'page' ? 'pages' : 'blog'}/${contentId(i)}`,
        resultGlobalContainer: { title: space.name, displayUrl: `/spaces/${space.key}` },
        breadcrumbs: [],
        entityType: 'content',
        iconCssClass: `aui-icon content-type-${type}`,
        lastModified: isoTime(t),
        friendlyLastModified: new Date(t).toUTCString(),
        score: 0
      }
    })
    const base = `${origin(req)}/wiki`
    const links: Record<string, string> = { base, context: '/wiki', self: `${base}${req.url.replace(/^\/wiki/, '')}` }
    const path = shape === 'search' ? '/rest/api/search' : '/rest/api/content/search'
    if (repeatCursor(ctx, req)) links.next = linkWith(req, path, 'cursor', encodeCursor({ s: snap, o: offset }), { next: 'true' })
    else if (offset + limit < listing.length) links.next = linkWith(req, path, 'cursor', encodeCursor({ s: snap, o: offset + limit }), { next: 'true' })
    if (shape === 'content') return reply.send({ results, start: offset, limit, size: results.length, _links: links })
    return reply.send({ results, start: offset, limit, size: results.length, totalSize: listing.length, cqlQuery: q.cql, searchDuration: 7, _links: links })

    function contentSearchJson (i: number, t: number): Record<string, unknown> {
      const space = org.spaces[d.space[i]!]!
      const type = d.type[i] === 0 ? 'page' : 'blogpost'
      const n = visibleVersions(d, i, snap)
      const g = d.vStart[i]! + n - 1
      const by = org.people[d.vAuthor[g]!]!
      const creator = org.people[d.author[i]!]!
      const person = (p: typeof by): Record<string, unknown> => ({ type: 'known', accountId: p.accountId, accountType: 'atlassian', displayName: p.displayName, publicName: p.displayName })
      const c: Record<string, unknown> = {
        id: contentId(i), type, status: 'current', title: contentTitle(ctx, i),
        _links: { webui: `/spaces/${space.key}/${type === 'page' ? 'pages' : 'blog'}/${contentId(i)}`, self: `${origin(req)}/wiki/rest/api/content/${contentId(i)}` }
      }
      if (expand.includes('version')) c.version = { by: person(by), when: isoTime(t), number: n, minorEdit: false }
      if (expand.includes('history')) c.history = { latest: true, createdBy: person(creator), createdDate: isoTime(d.created[i]!) }
      if (expand.includes('space')) c.space = { id: Number(space.id), key: space.key, name: space.name, type: space.type, status: 'current' }
      return c
    }
  }
  app.get('/wiki/rest/api/search', cqlSearch('search'))
  app.get('/wiki/rest/api/content/search', cqlSearch('content'))

  const v2Bad = (reply: FastifyReply, msg: string): FastifyReply => sendError(reply, ProductKind.ConfluenceV2, 400, msg)

  /** v2 cursor page: Link header + _links.next, both relative to the site origin. */
  const v2Page = (req: FastifyRequest, reply: FastifyReply, path: string, total: number, snap: number, offset: number, limit: number, results: unknown[]): FastifyReply => {
    const links: Record<string, string> = { base: `${origin(req)}/wiki` }
    let next: string | null = null
    if (repeatCursor(ctx, req)) next = linkWith(req, path, 'cursor', encodeCursor({ s: snap, o: offset }))
    else if (offset + limit < total) next = linkWith(req, path, 'cursor', encodeCursor({ s: snap, o: offset + limit }))
    if (next !== null) {
      links.next = next
      reply.header('link', `<${next}>; rel="next", <${origin(req)}/wiki>; rel="base"`)
    }
    return reply.send({ results, _links: links })
  }

  app.get('/wiki/api/v2/spaces', async (req, reply) => {
    const q = req.query as Q
    const limit = intParam(q.limit, 25, 1, 250)
    const cur = decodeCursor<SnapCursor>(q.cursor as string | undefined)
    if (q.cursor !== undefined && cur === null) return v2Bad(reply, 'Invalid cursor')
    const offset = cur?.o ?? 0
    const keys = toArray(q.keys)
    const spaces = ctx.world.org.spaces.filter((s) => keys.length === 0 || keys.includes(s.key))
    const results = spaces.slice(offset, offset + limit).map((s) => ({
      id: s.id, key: s.key, name: s.name, type: s.type, status: 'current', authorId: ctx.world.org.people[0]!.accountId, createdAt: isoTime(s.createdAt), homepageId: s.homepageId, description: null, icon: null, _links: { webui: `/spaces/${s.key}` }
    }))
    return v2Page(req, reply, '/wiki/api/v2/spaces', spaces.length, cur?.s ?? now(), offset, limit, results)
  })

  // Users in bulk (read-only POST): email is an empty string when the profile hides it (API-NOTES §7).
  app.post('/wiki/api/v2/users-bulk', async (req, reply) => {
    const b = (req.body ?? {}) as { accountIds?: unknown }
    if (!Array.isArray(b.accountIds) || b.accountIds.length > 250) return v2Bad(reply, 'accountIds must be an array of at most 250 ids')
    const wanted = new Set(b.accountIds.map(String))
    const n = now()
    const results = ctx.world.org.people.filter((p) => wanted.has(p.accountId)).map((p) => ({
      accountId: p.accountId,
      accountType: 'atlassian',
      accountStatus: p.deactivatedAt !== null && p.deactivatedAt <= n ? 'inactive' : 'active',
      displayName: p.displayName,
      publicName: p.displayName,
      email: p.jiraEmailVisible ? p.email : '',
      timeZone: p.timeZone,
      isExternalCollaborator: false,
      profilePicture: { path: `/wiki/aa-avatar/${p.accountId}`, width: 48, height: 48, isDefault: false }
    }))
    return reply.send({ results })
  })

  const SORTS = ['id', '-id', 'created-date', '-created-date', 'modified-date', '-modified-date', 'title', '-title'] as const

  const listContent = (type: 0 | 1, path: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Q
    const limit = intParam(q.limit, 25, 1, 250)
    const sort = String(q.sort ?? 'id')
    if (!(SORTS as readonly string[]).includes(sort)) return v2Bad(reply, `Invalid sort: ${sort}`)
    const cur = decodeCursor<SnapCursor>(q.cursor as string | undefined)
    if (q.cursor !== undefined && cur === null) return v2Bad(reply, 'Invalid cursor')
    const snap = cur?.s ?? now()
    const offset = cur?.o ?? 0
    const spaceIds = toArray(q['space-id'])
    const d = ctx.world.confluence
    const org = ctx.world.org
    const listing = ctx.snapshot(`v2|${type}|${snap}|${sort}|${spaceIds.join(',')}`, () => {
      const rows: Array<[number, number]> = []
      for (let i = 0; i < d.contents && d.created[i]! <= snap; i++) {
        if (d.type[i] !== type) continue
        if (spaceIds.length > 0 && !spaceIds.includes(org.spaces[d.space[i]!]!.id)) continue
        const key = sort.endsWith('modified-date') ? d.vTime[d.vStart[i]! + visibleVersions(d, i, snap) - 1]! : sort.endsWith('created-date') ? d.created[i]! : sort.endsWith('title') ? 0 : i
        rows.push([key, i])
      }
      if (sort.endsWith('title')) rows.sort((a, b) => contentTitle(ctx, a[1]).localeCompare(contentTitle(ctx, b[1])) || (a[1] - b[1]))
      else rows.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]))
      if (sort.startsWith('-')) rows.reverse()
      return Uint32Array.from(rows, (r) => r[1])
    })
    const results = Array.from(listing.subarray(offset, offset + limit), (i) => contentJson(ctx, d, i, snap))
    return v2Page(req, reply, path, listing.length, snap, offset, limit, results)
  }
  app.get('/wiki/api/v2/pages', listContent(0, '/wiki/api/v2/pages'))
  app.get('/wiki/api/v2/blogposts', listContent(1, '/wiki/api/v2/blogposts'))

  const getContent = (type: 0 | 1) => async (req: FastifyRequest, reply: FastifyReply) => {
    const i = findContent(ctx, (req.params as { id: string }).id, type, now())
    if (i === null) return sendError(reply, ProductKind.ConfluenceV2, 404, 'Content not found')
    return reply.send(contentJson(ctx, ctx.world.confluence, i, now()))
  }
  app.get('/wiki/api/v2/pages/:id', getContent(0))
  app.get('/wiki/api/v2/blogposts/:id', getContent(1))

  const versions = (type: 0 | 1, path: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const id = (req.params as { id: string }).id
    const i = findContent(ctx, id, type, now())
    if (i === null) return sendError(reply, ProductKind.ConfluenceV2, 404, 'Content not found')
    const q = req.query as Q
    const limit = intParam(q.limit, 25, 1, 250)
    const sort = String(q.sort ?? '-modified-date')
    if (sort !== 'modified-date' && sort !== '-modified-date') return v2Bad(reply, `Invalid sort: ${sort}`)
    const cur = decodeCursor<SnapCursor>(q.cursor as string | undefined)
    if (q.cursor !== undefined && cur === null) return v2Bad(reply, 'Invalid cursor')
    const snap = cur?.s ?? now()
    const offset = cur?.o ?? 0
    const d = ctx.world.confluence
    const n = visibleVersions(d, i, snap)
    const order = Array.from({ length: n }, (_, v) => v)
    if (sort === '-modified-date') order.reverse()
    const title = contentTitle(ctx, i)
    const results = order.slice(offset, offset + limit).map((v) => ({ ...versionJson(ctx, d, i, v), [type === 0 ? 'page' : 'blogpost']: { id: contentId(i), title } }))
    return v2Page(req, reply, path.replace(':id', id), n, snap, offset, limit, results)
  }
  app.get('/wiki/api/v2/pages/:id/versions', versions(0, '/wiki/api/v2/pages/:id/versions'))
  app.get('/wiki/api/v2/blogposts/:id/versions', versions(1, '/wiki/api/v2/blogposts/:id/versions'))
}

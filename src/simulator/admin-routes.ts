// Organizations (admin) API: events-stream (poll, cursor even on the last page), events (query, meta.next),
// and managed users. Without Guard the two event endpoints answer 403 with the admin error model.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { decodeCursor, encodeCursor, intParam, isoTime, origin, quirk, QuirkTag, repeatCursor, toArray, type SimContext } from './context.js'
import { ProductKind, sendError } from './products.js'
import { MAX_PROCESSING_DELAY, ORG_EVENT_KINDS, type OrgEventStore } from './audit-data.js'
import { hash32, hashHex } from './prng.js'
import { DAY } from './org-model.js'
import { isActive } from './jira-format.js'
import { lowerBound, upperBound } from './timeline.js'

type Q = Record<string, string | string[] | undefined>
interface StreamCursor { p: number | null, i: number, f: number | null, t: number | null, d: boolean }
interface QueryCursor { t: number, i: number }

const CITIES = [['Tokyo', 'Japan', 'Tokyo'], ['Osaka', 'Japan', 'Osaka'], ['Berlin', 'Germany', 'Berlin'], ['Lisbon', 'Portugal', 'Lisbon'], ['Austin', 'United States', 'Texas']] as const

export function registerAdminRoutes (app: FastifyInstance, ctx: SimContext): void {
  const now = (): number => ctx.clock.nowMs()
  const org = ctx.world.org
  const base = (req: FastifyRequest): string => `${origin(req)}/admin/v1/orgs/${ctx.orgId}`

  let processedSorted: Float64Array | null = null
  const sortedProcessed = (e: OrgEventStore): Float64Array => {
    if (processedSorted === null) {
      processedSorted = new Float64Array(e.n)
      for (let k = 0; k < e.n; k++) processedSorted[k] = e.processed[e.byProcessed[k]!]!
    }
    return processedSorted
  }

  const checkOrg = (req: FastifyRequest, reply: FastifyReply, events: boolean): boolean => {
    if ((req.params as { orgId: string }).orgId !== ctx.orgId) { sendError(reply, ProductKind.Admin, 404, 'Organization not found'); return false }
    if (events && !ctx.world.guard) {
      // Non-Guard orgs: the real status/body is UNCONFIRMED (API-NOTES §3d); we answer 403 in the admin error model.
      sendError(reply, ProductKind.Admin, 403, 'Audit log access requires an Atlassian Guard subscription for this organization.')
      return false
    }
    return true
  }

  const eventJson = (req: FastifyRequest, e: OrgEventStore, i: number): Record<string, unknown> => {
    const kind = ORG_EVENT_KINDS[e.kind[i]!]!
    const actor = org.people[e.actor[i]!]!
    const actorJson: Record<string, unknown> = { id: actor.accountId, name: actor.displayName, links: { self: `https://api.atlassian.com/users/${actor.accountId}/manage/profile` } }
    if (!actor.adminEmailRestricted) actorJson.email = actor.email
    const context: Array<Record<string, unknown>> = []
    const container: Array<Record<string, unknown>> = [{ id: hashHex(32, org.seed, 0x81), type: 'sites', attributes: { siteHost: 'acme.atlassian.net', siteName: 'acme' }, links: { alt: 'https://acme.atlassian.net' } }]
    const subjectIndex = e.subject[i]!
    const subject = subjectIndex >= 0 ? org.people[subjectIndex]! : (kind.source === 'user_logged_in' || kind.source === 'user_logged_out' ? actor : null)
    if (subject !== null) {
      const attrs: Record<string, unknown> = { accountId: subject.accountId, name: subject.displayName }
      if (!subject.adminEmailRestricted) attrs.email = subject.email
      context.push({ id: subject.accountId, type: 'users', attributes: attrs, links: { self: `https://api.atlassian.com/users/${subject.accountId}/manage/profile` } })
    }
    if (kind.target === 'group') {
      const g = org.groups[e.target[i]!]!
      context.push({ id: g.groupId, type: 'groups', attributes: { name: g.name }, links: {} })
    }
    if (kind.target === 'repo' && org.repos.length > 0) {
      const r = org.repos[e.target[i]! % org.repos.length]!
      container.push({ id: r.uuid, type: 'bitbucket-workspaces', attributes: { workspaceSlug: ctx.workspace, repository: r.slug }, links: {} })
    }
    const city = CITIES[hash32(org.seed, 0x82, i) % CITIES.length]!
    const id = `${hashHex(8, org.seed, 0x83, i)}-${hashHex(4, org.seed, 0x84, i)}-4${hashHex(3, org.seed, 0x85, i)}-a${hashHex(3, org.seed, 0x86, i)}-${String(i).padStart(12, '0')}`
    const message = kind.source === 'user_renamed' && subject?.previousName != null
      ? `${kind.summary}: ${subject.previousName} → ${subject.displayName}`
      : kind.summary
    return quirk(ctx, QuirkTag.OrgEvent, i, {
      id,
      type: 'events',
      attributes: {
        time: isoTime(e.time[i]!),
        processedAt: isoTime(e.processed[i]!),
        action: kind.source,
        actor: actorJson,
        context,
        container,
        location: { ip: `192.0.2.${1 + (hash32(org.seed, 0x87, i) % 250)}`, geo: null, countryName: city[1], regionName: city[2], city: city[0] }
      },
      links: { self: `${base(req)}/events/${id}` },
      message: { content: message, format: 'simple' }
    }, ['message'])
  }

  app.get<{ Params: { orgId: string } }>('/admin/v1/orgs/:orgId/events-stream', async (req, reply) => {
    if (!checkOrg(req, reply, true)) return reply
    const q = req.query as Q
    const e = ctx.world.orgEvents
    const ps = sortedProcessed(e)
    const limit = intParam(q.limit, 200, 1, 500)
    let cur: StreamCursor
    if (typeof q.cursor === 'string' && q.cursor !== '') {
      const c = decodeCursor<StreamCursor>(q.cursor)
      if (c === null || typeof c.d !== 'boolean') return sendError(reply, ProductKind.Admin, 400, 'Invalid cursor')
      cur = c
    } else {
      const from = q.from === undefined ? null : Number(q.from)
      const to = q.to === undefined ? null : Number(q.to)
      if ((from !== null && !Number.isFinite(from)) || (to !== null && !Number.isFinite(to))) return sendError(reply, ProductKind.Admin, 400, 'from/to must be epoch milliseconds')
      // sortOrder lives in the cursor from here on.
      cur = { p: null, i: -1, f: from, t: to, d: q.sortOrder === 'desc' }
    }
    const n = now()
    const inWindow = (i: number): boolean => (cur.f === null || e.time[i]! >= cur.f) && (cur.t === null || e.time[i]! <= cur.t)
    const data: unknown[] = []
    let lastP = cur.p
    let lastI = cur.i
    if (!cur.d) {
      let k: number
      if (cur.p === null) k = cur.f === null ? 0 : lowerBound(ps, cur.f)
      else {
        k = lowerBound(ps, cur.p)
        while (k < e.n && ps[k] === cur.p && e.byProcessed[k]! <= cur.i) k++
      }
      const stopAt = cur.t === null ? Infinity : cur.t + MAX_PROCESSING_DELAY
      for (; k < e.n && data.length < limit && ps[k]! <= n && ps[k]! <= stopAt; k++) {
        const i = e.byProcessed[k]!
        lastP = ps[k]!; lastI = i
        if (inWindow(i)) data.push(eventJson(req, e, i))
      }
    } else {
      let k: number
      if (cur.p === null) k = upperBound(ps, Math.min(n, cur.t === null ? Infinity : cur.t + MAX_PROCESSING_DELAY)) - 1
      else {
        k = upperBound(ps, cur.p) - 1
        while (k >= 0 && ps[k] === cur.p && e.byProcessed[k]! >= cur.i) k--
      }
      for (; k >= 0 && data.length < limit && (cur.f === null || ps[k]! >= cur.f); k--) {
        const i = e.byProcessed[k]!
        lastP = ps[k]!; lastI = i
        if (inWindow(i)) data.push(eventJson(req, e, i))
      }
    }
    // A cursor comes back even on the last page so the caller can poll from it later.
    const next = typeof q.cursor === 'string' && repeatCursor(ctx, req) ? q.cursor : encodeCursor({ ...cur, p: lastP, i: lastI })
    return reply.send({ data, meta: { next, page_size: limit }, links: { self: `${origin(req)}${req.url}`, next: `${base(req)}/events-stream?cursor=${next}` } })
  })

  app.get<{ Params: { orgId: string } }>('/admin/v1/orgs/:orgId/events', async (req, reply) => {
    if (!checkOrg(req, reply, true)) return reply
    const q = req.query as Q
    const e = ctx.world.orgEvents
    const limit = intParam(q.limit, 100, 1, 200)
    const from = q.from === undefined ? null : Number(q.from)
    const to = q.to === undefined ? null : Number(q.to)
    const actions = toArray(q.action)
    const cur = typeof q.cursor === 'string' && q.cursor !== '' ? decodeCursor<QueryCursor>(q.cursor) : null
    if (typeof q.cursor === 'string' && q.cursor !== '' && cur === null) return sendError(reply, ProductKind.Admin, 400, 'Invalid cursor')
    const n = now()
    // Newest first by event time (times are unique); cursor = the last returned record's time.
    let k = cur === null ? upperBound(e.time, Math.min(n, to ?? Infinity)) - 1 : lowerBound(e.time, cur.t) - 1
    const data: unknown[] = []
    let last: QueryCursor | null = null
    for (; k >= 0 && data.length < limit; k--) {
      if (from !== null && e.time[k]! < from) break
      if (e.processed[k]! > n) continue
      if (actions.length > 0 && !actions.includes(ORG_EVENT_KINDS[e.kind[k]!]!.source)) continue
      data.push(eventJson(req, e, k))
      last = { t: e.time[k]!, i: k }
    }
    let more = false
    for (let j = k; j >= 0; j--) {
      if (from !== null && e.time[j]! < from) break
      if (e.processed[j]! > n) continue
      if (actions.length > 0 && !actions.includes(ORG_EVENT_KINDS[e.kind[j]!]!.source)) continue
      more = true
      break
    }
    const meta: Record<string, unknown> = { page_size: limit }
    const links: Record<string, unknown> = { self: `${origin(req)}${req.url}`, prev: null }
    const nextCursor = typeof q.cursor === 'string' && repeatCursor(ctx, req) ? q.cursor : (more && last !== null ? encodeCursor(last) : null)
    if (nextCursor !== null) {
      meta.next = nextCursor
      const u = new URL(req.url, origin(req))
      u.searchParams.set('cursor', nextCursor)
      links.next = u.toString()
    }
    return reply.send({ data, meta, links })
  })

  app.get<{ Params: { orgId: string } }>('/admin/v1/orgs/:orgId/users', async (req, reply) => {
    if (!checkOrg(req, reply, false)) return reply
    const q = req.query as Q
    const limit = intParam(q.limit, 100, 1, 1000)
    const cur = typeof q.cursor === 'string' && q.cursor !== '' ? decodeCursor<{ o: number }>(q.cursor) : null
    if (typeof q.cursor === 'string' && q.cursor !== '' && cur === null) return sendError(reply, ProductKind.Admin, 400, 'Invalid cursor')
    const offset = cur?.o ?? 0
    const n = now()
    const people = org.people
    const data = people.slice(offset, offset + limit).map((p) => {
      // Deterministic "last active": days before the start instant, or before deactivation.
      const lastActive = (p.deactivatedAt ?? org.start) - (hash32(org.seed, 0x88, p.index) % (14 * DAY))
      const u: Record<string, unknown> = {
        account_id: p.accountId,
        account_type: 'atlassian',
        account_status: isActive(p, n) ? 'active' : 'inactive',
        name: p.displayName,
        picture: `https://avatar-management.example/${p.accountId}/128`,
        access_billable: isActive(p, n),
        last_active: isoTime(lastActive),
        product_access: [
          { key: 'jira-software', name: 'Jira', url: 'acme.atlassian.net', last_active: isoTime(lastActive) },
          { key: 'confluence', name: 'Confluence', url: 'acme.atlassian.net/wiki', last_active: isoTime(lastActive - DAY) }
        ],
        links: { self: `${base(req)}/users/${p.accountId}` }
      }
      // Restricted profile visibility: the property is absent, not null.
      if (!p.adminEmailRestricted) u.email = p.email
      return quirk(ctx, QuirkTag.AdminUser, p.index, u, ['picture', 'product_access'])
    })
    const links: Record<string, unknown> = { self: `${origin(req)}${req.url}` }
    if (typeof q.cursor === 'string' && repeatCursor(ctx, req)) links.next = `${base(req)}/users?cursor=${q.cursor}`
    else if (offset + limit < people.length) links.next = `${base(req)}/users?cursor=${encodeCursor({ o: offset + limit })}${q.limit === undefined ? '' : `&limit=${limit}`}`
    return reply.send({ data, meta: { total: people.length }, links })
  })
}

// Bitbucket Cloud 2.0: workspace repositories, commits (newest first), pull requests by state and the
// repo-wide pull-request activity log. Paging: page/pagelen with an absolute `next` URL, absent on the last page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bitbucketTime, intParam, origin, quirk, QuirkTag, repeatCursor, toArray, type SimContext } from './context.js'
import { ProductKind, sendError } from './products.js'
import { PrActivity, type BitbucketData } from './bitbucket-data.js'
import { PR_TITLES } from './names.js'
import { hash32, hashHex, hashPick } from './prng.js'
import { maybeHostile, type Person, type Repo } from './org-model.js'
import { upperBound } from './timeline.js'

type Q = Record<string, string | string[] | undefined>
const STATES = ['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED'] as const

export function registerBitbucketRoutes (app: FastifyInstance, ctx: SimContext): void {
  const now = (): number => ctx.clock.nowMs()
  const org = ctx.world.org
  const notFound = (reply: FastifyReply, msg: string): FastifyReply => sendError(reply, ProductKind.Bitbucket, 404, msg)
  const api = (req: FastifyRequest): string => `${origin(req)}/2.0`

  const user = (req: FastifyRequest, p: Person): Record<string, unknown> => ({
    type: 'user',
    display_name: p.displayName,
    uuid: p.bitbucketUuid,
    account_id: p.accountId,
    nickname: p.displayName.split(' ')[0],
    links: { self: { href: `${api(req)}/users/${encodeURIComponent(p.bitbucketUuid)}` }, avatar: { href: `https://avatar-management.example/${p.accountId}/128` } }
  })

  const repoRef = (req: FastifyRequest, r: Repo): Record<string, unknown> => ({
    type: 'repository', full_name: `${ctx.workspace}/${r.slug}`, name: r.name, uuid: r.uuid,
    links: { self: { href: `${api(req)}/repositories/${ctx.workspace}/${r.slug}` }, html: { href: `https://bitbucket.org/${ctx.workspace}/${r.slug}` } }
  })

  const repoJson = (req: FastifyRequest, r: Repo): Record<string, unknown> => {
    const d = ctx.world.bitbucket
    const end = upperBound(d.cTime, now(), d.cRepoStart[r.index]!, d.cRepoStart[r.index + 1]!)
    const updated = end > d.cRepoStart[r.index]! ? d.cTime[end - 1]! : r.createdAt
    return {
      ...repoRef(req, r),
      slug: r.slug,
      is_private: r.isPrivate,
      scm: 'git',
      language: r.language,
      created_on: bitbucketTime(r.createdAt),
      updated_on: bitbucketTime(updated),
      mainbranch: { type: 'branch', name: 'main' },
      workspace: { type: 'workspace', slug: ctx.workspace, name: ctx.workspace, uuid: `{${hashHex(8, org.seed, 0x71)}-0000-4000-a000-${hashHex(12, org.seed, 0x72)}}` },
      project: { type: 'project', key: 'PROJ', name: 'Main project' }
    }
  }

  /** Bitbucket's envelope with an absolute next URL; the repeat-cursor fault points next at this very page. */
  const paged = (req: FastifyRequest, reply: FastifyReply, total: number, page: number, pagelen: number, values: unknown[], withSize = true): FastifyReply => {
    const body: Record<string, unknown> = withSize ? { pagelen, size: total, page, values } : { pagelen, page, values }
    const url = new URL(req.url, origin(req))
    if (repeatCursor(ctx, req)) {
      url.searchParams.set('page', String(page))
      body.next = url.toString()
    } else if (page * pagelen < total) {
      url.searchParams.set('page', String(page + 1))
      body.next = url.toString()
    }
    if (page > 1) { url.searchParams.set('page', String(page - 1)); body.previous = url.toString() }
    return reply.send(body)
  }

  const pageParams = (q: Q, def: number, max: number): { page: number, pagelen: number } => ({ page: intParam(q.page, 1, 1, Number.MAX_SAFE_INTEGER), pagelen: intParam(q.pagelen, def, 1, max) })

  const findRepo = (ws: string, slug: string): Repo | null => ws === ctx.workspace ? org.repos.find((r) => r.slug === slug) ?? null : null

  app.get<{ Params: { ws: string } }>('/2.0/repositories/:ws', async (req, reply) => {
    if (req.params.ws !== ctx.workspace) return notFound(reply, `No workspace with identifier '${req.params.ws}'.`)
    const { page, pagelen } = pageParams(req.query as Q, 10, 100)
    const repos = org.repos.filter((r) => r.createdAt <= now())
    return paged(req, reply, repos.length, page, pagelen, repos.slice((page - 1) * pagelen, page * pagelen).map((r) => repoJson(req, r)))
  })

  app.get<{ Params: { ws: string, slug: string } }>('/2.0/repositories/:ws/:slug', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    if (r === null) return notFound(reply, `Repository ${req.params.ws}/${req.params.slug} not found`)
    return reply.send(repoJson(req, r))
  })

  const commitHash = (c: number): string => hashHex(40, org.seed, 0xC0, c)

  const commitJson = (req: FastifyRequest, d: BitbucketData, r: Repo, c: number): Record<string, unknown> => {
    const p = org.people[d.cAuthor[c]!]!
    const t = d.cTime[c]!
    // Git keeps the name used at commit time, so commits before a rename carry the old name.
    const name = p.previousName !== null && p.renamedAt !== null && t < p.renamedAt ? p.previousName : p.displayName
    const author: Record<string, unknown> = { type: 'author', raw: `${name} <${p.email}>` }
    if (hash32(org.seed, 0xC1, c) % 10 !== 0) author.user = user(req, p)
    const message = maybeHostile(org, `${hashPick(PR_TITLES, org.seed, 0xC2, c)} (#${c})`, 0xC3, c)
    const parents = c > d.cRepoStart[r.index]! ? [{ type: 'commit', hash: commitHash(c - 1) }] : []
    return quirk(ctx, QuirkTag.Commit, c, {
      type: 'commit',
      hash: commitHash(c),
      date: bitbucketTime(t),
      author,
      message,
      summary: { type: 'rendered', raw: message, markup: 'markdown', html: '' },
      parents,
      repository: repoRef(req, r),
      links: { self: { href: `${api(req)}/repositories/${ctx.workspace}/${r.slug}/commit/${commitHash(c)}` } }
    }, ['summary'])
  }

  app.get<{ Params: { ws: string, slug: string } }>('/2.0/repositories/:ws/:slug/commits', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    if (r === null) return notFound(reply, `Repository ${req.params.ws}/${req.params.slug} not found`)
    const d = ctx.world.bitbucket
    const { page, pagelen } = pageParams(req.query as Q, 30, 100)
    const lo = d.cRepoStart[r.index]!
    const end = upperBound(d.cTime, now(), lo, d.cRepoStart[r.index + 1]!)
    const total = end - lo
    const values = []
    for (let k = (page - 1) * pagelen; k < Math.min(total, page * pagelen); k++) values.push(commitJson(req, d, r, end - 1 - k))
    // Bitbucket leaves `size` out of commit pages (too expensive to compute).
    return paged(req, reply, total, page, pagelen, values, false)
  })

  /** PR state at clock-now: the last visible state-changing activity. */
  const prState = (d: BitbucketData, p: number, at: number): { state: typeof STATES[number], updated: number, closedBy: number | null } => {
    let state: typeof STATES[number] = 'OPEN'
    let updated = d.prCreated[p]!
    let closedBy: number | null = null
    for (let a = d.aStart[p]!; a < d.aStart[p + 1]! && d.aTime[a]! <= at; a++) {
      updated = d.aTime[a]!
      const k = d.aKind[a]!
      if (k === PrActivity.Merged) { state = 'MERGED'; closedBy = d.aActor[a]! }
      if (k === PrActivity.Declined) { state = 'DECLINED'; closedBy = d.aActor[a]! }
      if (k === PrActivity.Superseded) { state = 'SUPERSEDED'; closedBy = d.aActor[a]! }
    }
    return { state, updated, closedBy }
  }

  const prTitle = (p: number): string => maybeHostile(org, `${hashPick(PR_TITLES, org.seed, 0xD0, p)} (${p})`, 0xD1, p)

  const prRef = (req: FastifyRequest, d: BitbucketData, r: Repo, p: number): Record<string, unknown> => ({
    type: 'pullrequest', id: d.prNumber[p], title: prTitle(p),
    links: { self: { href: `${api(req)}/repositories/${ctx.workspace}/${r.slug}/pullrequests/${d.prNumber[p]!}` }, html: { href: `https://bitbucket.org/${ctx.workspace}/${r.slug}/pull-requests/${d.prNumber[p]!}` } }
  })

  const prJson = (req: FastifyRequest, d: BitbucketData, r: Repo, p: number): Record<string, unknown> => {
    const s = prState(d, p, now())
    const out: Record<string, unknown> = {
      ...prRef(req, d, r, p),
      description: `Changes for PR ${d.prNumber[p]!}`,
      state: s.state,
      author: user(req, org.people[d.prAuthor[p]!]!),
      created_on: bitbucketTime(d.prCreated[p]!),
      updated_on: bitbucketTime(s.updated),
      source: { branch: { name: `feature/pr-${d.prNumber[p]!}` }, repository: repoRef(req, r) },
      destination: { branch: { name: 'main' }, repository: repoRef(req, r) },
      close_source_branch: true,
      comment_count: 0,
      task_count: 0,
      reason: ''
    }
    if (s.closedBy !== null) out.closed_by = user(req, org.people[s.closedBy]!)
    if (s.state === 'MERGED') out.merge_commit = { type: 'commit', hash: hashHex(40, org.seed, 0xD2, p) }
    return out
  }

  app.get<{ Params: { ws: string, slug: string } }>('/2.0/repositories/:ws/:slug/pullrequests', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    if (r === null) return notFound(reply, `Repository ${req.params.ws}/${req.params.slug} not found`)
    const q = req.query as Q
    const states = toArray(q.state).map((s) => s.toUpperCase())
    for (const s of states) if (!(STATES as readonly string[]).includes(s)) return sendError(reply, ProductKind.Bitbucket, 400, `Invalid state: ${s}`)
    // Default is OPEN only (API-NOTES §4b).
    const wanted = new Set(states.length === 0 ? ['OPEN'] : states)
    const d = ctx.world.bitbucket
    const { page, pagelen } = pageParams(q, 10, 50)
    const ids: number[] = []
    for (let p = d.prRepoStart[r.index]!; p < d.prRepoStart[r.index + 1]!; p++) {
      if (d.prCreated[p]! > now()) break
      if (wanted.has(prState(d, p, now()).state)) ids.push(p)
    }
    return paged(req, reply, ids.length, page, pagelen, ids.slice((page - 1) * pagelen, page * pagelen).map((p) => prJson(req, d, r, p)))
  })

  app.get<{ Params: { ws: string, slug: string, id: string } }>('/2.0/repositories/:ws/:slug/pullrequests/:id', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    const d = ctx.world.bitbucket
    const p = r === null ? -1 : d.prRepoStart[r.index]! + Number(req.params.id) - 1
    if (r === null || !Number.isInteger(p) || p < d.prRepoStart[r.index]! || p >= d.prRepoStart[r.index + 1]! || d.prCreated[p]! > now()) return notFound(reply, `Pull request ${req.params.id} not found`)
    return reply.send(prJson(req, d, r, p))
  })

  const activityJson = (req: FastifyRequest, d: BitbucketData, r: Repo, a: number): Record<string, unknown> => {
    const p = d.aPr[a]!
    const t = bitbucketTime(d.aTime[a]!)
    const actor = user(req, org.people[d.aActor[a]!]!)
    const pr = prRef(req, d, r, p)
    const kind = d.aKind[a]!
    let item: Record<string, unknown>
    switch (kind) {
      case PrActivity.Comment:
        item = { comment: { id: 500000 + a, type: 'pullrequest_comment', created_on: t, updated_on: t, deleted: false, content: { type: 'rendered', raw: maybeHostile(org, `Review note ${a}`, 0xD3, a), markup: 'markdown', html: '' }, user: actor, pullrequest: pr, links: { self: { href: `${api(req)}/repositories/${ctx.workspace}/${r.slug}/pullrequests/${d.prNumber[p]!}/comments/${500000 + a}` } } } }
        break
      case PrActivity.Approval:
        item = { approval: { date: t, user: actor, pullrequest: pr } }
        break
      case PrActivity.ChangesRequested:
        item = { changes_requested: { date: t, user: actor, pullrequest: pr } }
        break
      default: {
        const state = kind === PrActivity.Merged ? 'MERGED' : kind === PrActivity.Declined ? 'DECLINED' : kind === PrActivity.Superseded ? 'SUPERSEDED' : 'OPEN'
        const update: Record<string, unknown> = {
          state, title: prTitle(p), description: `Changes for PR ${d.prNumber[p]!}`, reason: '', date: t, author: actor,
          source: { branch: { name: `feature/pr-${d.prNumber[p]!}` }, commit: { type: 'commit', hash: hashHex(12, org.seed, 0xD4, a) }, repository: repoRef(req, r) },
          destination: { branch: { name: 'main' }, commit: { type: 'commit', hash: hashHex(12, org.seed, 0xD5, a) }, repository: repoRef(req, r) }
        }
        if (kind === PrActivity.Updated) update.changes = { description: { old: '', new: `Changes for PR ${d.prNumber[p]!}` } }
        item = { update }
      }
    }
    return quirk(ctx, QuirkTag.PrActivity, a, { ...item, pull_request: pr }, [])
  }

  app.get<{ Params: { ws: string, slug: string } }>('/2.0/repositories/:ws/:slug/pullrequests/activity', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    if (r === null) return notFound(reply, `Repository ${req.params.ws}/${req.params.slug} not found`)
    const d = ctx.world.bitbucket
    const { page, pagelen } = pageParams(req.query as Q, 10, 50)
    const lo = d.aRepoStart[r.index]!
    const end = upperBound(d.aByRepoTime, now(), lo, d.aRepoStart[r.index + 1]!)
    const total = end - lo
    const values = []
    // Newest first; q/sort are ignored on this endpoint, as on Bitbucket (BCLOUD-21067).
    for (let k = (page - 1) * pagelen; k < Math.min(total, page * pagelen); k++) values.push(activityJson(req, d, r, d.aByRepo[end - 1 - k]!))
    return paged(req, reply, total, page, pagelen, values)
  })

  app.get<{ Params: { ws: string, slug: string, id: string } }>('/2.0/repositories/:ws/:slug/pullrequests/:id/activity', async (req, reply) => {
    const r = findRepo(req.params.ws, req.params.slug)
    const d = ctx.world.bitbucket
    const p = r === null ? -1 : d.prRepoStart[r.index]! + Number(req.params.id) - 1
    if (r === null || !Number.isInteger(p) || p < d.prRepoStart[r.index]! || p >= d.prRepoStart[r.index + 1]! || d.prCreated[p]! > now()) return notFound(reply, `Pull request ${req.params.id} not found`)
    const { page, pagelen } = pageParams(req.query as Q, 10, 50)
    const ids: number[] = []
    for (let a = d.aStart[p]!; a < d.aStart[p + 1]! && d.aTime[a]! <= now(); a++) ids.push(a)
    ids.reverse()
    return paged(req, reply, ids.length, page, pagelen, ids.slice((page - 1) * pagelen, page * pagelen).map((a) => activityJson(req, d, r, a)))
  })
}

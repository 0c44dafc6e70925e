import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createReadOnlyClient, type ReadOnlyClient } from '../../../src/connectors/http/read-only-client.js'
import { createRateLimiter } from '../../../src/connectors/http/rate-limit.js'
import {
  adminEventsPages, adminEventsStreamPages, bitbucketPages, confluenceAuditPages, confluenceSearchPages, confluenceV2Pages,
  jiraAuditPages, jiraChangelogBulkPages, jiraChangelogPages, jiraCommentPages, jiraSearchPages, jiraWorklogUpdatedPages,
  linkHeaderNext, PageEnd, type Page
} from '../../../src/connectors/http/paging.js'
import { captureLogger, startLocalServer } from './local-server.js'

type Q = Record<string, string | undefined>
const ids = (n: number, prefix = 'r'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)

function makeClient (t: { teardown: (fn: () => unknown) => void }, baseUrl: string, logger = captureLogger().logger): ReadOnlyClient {
  const c = createReadOnlyClient({
    baseUrl,
    auth: { kind: 'basic', email: 'reader@example.com', token: 'tok-123456' },
    logger,
    retry: { baseMs: 1, capMs: 5 },
    limiter: createRateLimiter({ profiles: { default: { ratePerSecond: 1000, burst: 1000 }, bitbucket: { ratePerSecond: 1000, burst: 1000 }, admin: { ratePerSecond: 1000, burst: 1000 }, adminEvents: { ratePerSecond: 1000, burst: 1000 } } })
  })
  t.teardown(() => c.close())
  return c
}

async function collect<T, R, S> (it: AsyncGenerator<Page<T, R, S>>): Promise<Array<Page<T, R, S>>> {
  const pages: Array<Page<T, R, S>> = []
  for await (const p of it) pages.push(p)
  return pages
}
const flat = <T>(pages: Array<{ items: T[] }>): T[] => pages.flatMap((p) => p.items)

// A fake Atlassian with every paging style over small, known record sets.
function routes (app: FastifyInstance, origin: () => string): void {
  const audit = ids(7)
  app.get('/rest/api/3/auditing/record', async (req) => {
    const q = req.query as Q
    const offset = Number(q.offset); const limit = Math.min(Number(q.limit), 3) // the server caps the limit
    return { offset, limit, total: audit.length, records: audit.slice(offset, offset + limit).map((id) => ({ id })) }
  })
  for (const [path, n] of [['/wiki/rest/api/audit', 7], ['/wiki/rest/api/audit/since', 6]] as const) {
    const rows = ids(n)
    app.get(path, async (req) => {
      const q = req.query as Q
      const start = Number(q.start); const limit = Math.min(Number(q.limit), 3)
      const results = rows.slice(start, start + limit)
      return { results, start, limit, size: results.length, _links: {} }
    })
  }
  const changes = ids(5, 'c')
  app.get('/rest/api/3/issue/:key/changelog', async (req) => {
    const q = req.query as Q
    const startAt = Number(q.startAt); const max = Number(q.maxResults)
    const values = changes.slice(startAt, startAt + max)
    return { startAt, maxResults: max, total: changes.length, isLast: startAt + values.length >= changes.length, values }
  })
  const comments = ids(5, 'm')
  app.get('/rest/api/3/issue/:key/comment', async (req) => {
    const q = req.query as Q
    const startAt = Number(q.startAt); const max = Number(q.maxResults)
    return { startAt, maxResults: max, total: comments.length, comments: comments.slice(startAt, startAt + max) }
  })
  const issues = ids(5, 'I-')
  const search = (token: string | undefined, max: number): Record<string, unknown> => {
    const from = token ? Number(token.slice(1)) : 0
    const page = issues.slice(from, from + max)
    const more = from + page.length < issues.length
    return { issues: page.map((key) => ({ key })), isLast: !more, ...(more ? { nextPageToken: `t${from + page.length}` } : {}) }
  }
  app.get('/rest/api/3/search/jql', async (req) => {
    const q = req.query as Q
    if (q.jql === 'loop') return { issues: [{ key: 'L' }], nextPageToken: 'same', isLast: false }
    return search(q.nextPageToken, Number(q.maxResults))
  })
  app.post('/rest/api/3/search/jql', async (req) => {
    const b = req.body as { nextPageToken?: string, maxResults: number }
    return search(b.nextPageToken, b.maxResults)
  })
  app.post('/rest/api/3/changelog/bulkfetch', async (req) => {
    const b = req.body as { nextPageToken?: string, issueIdsOrKeys: string[] }
    return b.nextPageToken === 'p2'
      ? { issueChangeLogs: [{ issueId: '2' }], nextPageToken: null }
      : { issueChangeLogs: [{ issueId: '1' }], nextPageToken: 'p2' }
  })
  const pages = ids(5, 'p')
  app.get('/wiki/api/v2/pages', async (req, reply) => {
    const q = req.query as Q
    const from = Number(q.cursor ?? 0); const limit = Number(q.limit ?? 2)
    const results = pages.slice(from, from + limit)
    const next = from + limit < pages.length ? `/wiki/api/v2/pages?cursor=${from + limit}&limit=${limit}` : undefined
    if (q.style === 'header') { // next only in the Link header
      if (next) reply.header('link', `<${next}&style=header>; rel="next"`)
      return { results, _links: { base: origin() + '/wiki' } }
    }
    return { results, _links: { base: origin() + '/wiki', ...(next ? { next } : {}) } }
  })
  const found = ids(5, 's')
  app.get('/wiki/rest/api/search', async (req) => {
    const q = req.query as Q
    const from = Number(q.cursor ?? 0); const limit = Number(q.limit)
    const results = found.slice(from, from + limit).map((id) => ({ title: id }))
    const next = from + limit < found.length ? `/rest/api/search?cql=${encodeURIComponent(q.cql ?? '')}&limit=${limit}&cursor=${from + limit}` : undefined
    return { results, start: from, limit, size: results.length, _links: { base: origin() + '/wiki', context: '/wiki', ...(next ? { next } : {}) } }
  })
  const commits = ids(5, 'h')
  app.get('/2.0/repositories/:ws/:repo/commits', async (req) => {
    const q = req.query as Q
    const page = Number(q.page ?? 1); const pagelen = 2
    const values = commits.slice((page - 1) * pagelen, page * pagelen)
    // BCLOUD-22441: `next` even on the page after the last one.
    return { pagelen, page, values, next: `${origin()}/2.0/repositories/ws/repo/commits?page=${page + 1}` }
  })
  app.get('/2.0/repositories/:ws/loop/commits', async () => ({ values: [{ hash: 'x' }], next: `${origin()}/2.0/repositories/ws/loop/commits?page=2` }))
  const worklogs = ids(5, 'w')
  app.get('/rest/api/3/worklog/updated', async (req) => {
    const q = req.query as Q
    const since = Number(q.since)
    const values = worklogs.slice(since, since + 2).map((id) => ({ worklogId: id }))
    const until = since + values.length
    const lastPage = until >= worklogs.length
    return { values, since, until, lastPage, nextPage: `${origin()}/rest/api/3/worklog/updated?since=${until}`, self: 'x' }
  })
  const events = ids(5, 'e')
  app.get('/admin/v1/orgs/:org/events-stream', async (req) => {
    const q = req.query as Q
    const from = Number(q.cursor ?? 0)
    const data = events.slice(from, from + 2).map((id) => ({ id }))
    // A cursor comes back on the last page too, and on the empty page after it.
    return { data, meta: { next: String(from + data.length), page_size: 2 }, links: {} }
  })
  app.get('/admin/v1/orgs/:org/events', async (req) => {
    const q = req.query as Q
    const from = Number(q.cursor ?? 0)
    const data = events.slice(from, from + 2).map((id) => ({ id }))
    const more = from + data.length < events.length
    return { data, meta: { next: more ? String(from + data.length) : null, page_size: 2 }, links: {} }
  })
}

async function fakeAtlassian (t: Parameters<typeof startLocalServer>[0]): Promise<ReturnType<typeof startLocalServer>> {
  let url = ''
  const srv = await startLocalServer(t, (app) => routes(app, () => url))
  url = srv.url
  return srv
}

t.test('offset/limit/total: Jira audit records to the end, with a server-capped limit', async (t) => {
  const srv = await fakeAtlassian(t)
  const pages = await collect(jiraAuditPages<{ id: string }>(makeClient(t, srv.url), { query: { from: '2026-01-01T00:00:00.000Z' } }))
  t.same(flat(pages).map((r) => r.id), ids(7))
  t.same(pages.map((p) => p.state.offset), [0, 3, 6])
  t.same(pages.map((p) => p.nextState), [{ offset: 3 }, { offset: 6 }, null])
  t.equal(pages[2]?.end, PageEnd.LastPage)
  t.match(srv.requests[0]?.url, /from=2026-01-01T00%3A00%3A00.000Z/)
})

t.test('start/limit/size: Confluence audit ends on a short page or an empty one', async (t) => {
  const srv = await fakeAtlassian(t)
  const c = makeClient(t, srv.url)
  const seven = await collect(confluenceAuditPages<string>(c, { query: { startDate: 1, endDate: 2 } }))
  t.same(flat(seven), ids(7))
  t.equal(seven.length, 3)
  const six = await collect(confluenceAuditPages<string>(c, { path: '/wiki/rest/api/audit/since' }))
  t.same(flat(six), ids(6))
  t.same(six.map((p) => p.items.length), [3, 3, 0])
  t.equal(six[2]?.end, PageEnd.EmptyPage)
})

t.test('startAt/isLast and startAt/total: Jira changelog and comments', async (t) => {
  const srv = await fakeAtlassian(t)
  const c = makeClient(t, srv.url)
  const log = await collect(jiraChangelogPages<string>(c, 'ABC-1', { maxResults: 2 }))
  t.same(flat(log), ids(5, 'c'))
  t.same(log.map((p) => p.state.startAt), [0, 2, 4])
  const com = await collect(jiraCommentPages<string>(c, 'ABC-1', { maxResults: 2 }))
  t.same(flat(com), ids(5, 'm'))
  t.equal(com.at(-1)?.end, PageEnd.LastPage)
  const resumed = await collect(jiraChangelogPages<string>(c, 'ABC-1', { maxResults: 2, start: log[0]?.nextState ?? undefined }))
  t.same(flat(resumed), ['c3', 'c4', 'c5'], 'resumes from a checkpointed nextState')
})

t.test('nextPageToken: Jira search by GET and POST, changelog bulkfetch', async (t) => {
  const srv = await fakeAtlassian(t)
  const c = makeClient(t, srv.url)
  const viaGet = await collect(jiraSearchPages<{ key: string }>(c, { jql: 'updated >= "2026-01-01 00:00" ORDER BY updated ASC', maxResults: 2 }))
  t.same(flat(viaGet).map((i) => i.key), ids(5, 'I-'))
  t.same(viaGet.map((p) => p.state.nextPageToken), [null, 't2', 't4'])
  const viaPost = await collect(jiraSearchPages<{ key: string }>(c, { jql: 'updated >= -1d', maxResults: 2, method: 'POST' }))
  t.same(flat(viaPost).map((i) => i.key), ids(5, 'I-'))
  t.same(srv.requests.filter((r) => r.method === 'POST').map((r) => (r.body as { nextPageToken?: string }).nextPageToken), [undefined, 't2', 't4'])
  const bulk = await collect(jiraChangelogBulkPages<{ issueId: string }>(c, { issueIdsOrKeys: ['1', '2'] }))
  t.same(flat(bulk).map((x) => x.issueId), ['1', '2'])
})

t.test('cursor links: Confluence v2 via _links.next and via the Link header', async (t) => {
  const srv = await fakeAtlassian(t)
  const c = makeClient(t, srv.url)
  const body = await collect(confluenceV2Pages<string>(c, { path: '/wiki/api/v2/pages', query: { limit: 2 } }))
  t.same(flat(body), ids(5, 'p'))
  t.equal(body.length, 3)
  const header = await collect(confluenceV2Pages<string>(c, { path: '/wiki/api/v2/pages', query: { limit: 2, style: 'header' } }))
  t.same(flat(header), ids(5, 'p'))
  t.equal(linkHeaderNext('</a?x=1>; rel="prev", </b?cursor=2>; rel="next"'), '/b?cursor=2')
  t.equal(linkHeaderNext('</a>; rel="prev"'), null)
  t.equal(linkHeaderNext('</c?cursor=3>; rel=next'), '/c?cursor=3')
  t.equal(linkHeaderNext('</d>; title="x, y"; rel="next last"'), '/d')
  t.equal(linkHeaderNext('</e>; rel="nextish"'), null)
  t.equal(linkHeaderNext(undefined), null)
})

t.test('cursor links: Confluence CQL next is relative to _links.base', async (t) => {
  const srv = await fakeAtlassian(t)
  const pages = await collect(confluenceSearchPages<{ title: string }>(makeClient(t, srv.url), { cql: 'lastmodified >= "2026-01-01" order by lastmodified asc', limit: 2 }))
  t.same(flat(pages).map((r) => r.title), ids(5, 's'))
  t.ok(srv.requests.slice(1).every((r) => r.url.startsWith('/wiki/rest/api/search?')), 'followed under /wiki')
})

t.test('cursor links: Bitbucket absolute next, stopping on empty values despite a next link', async (t) => {
  const srv = await fakeAtlassian(t)
  const pages = await collect(bitbucketPages<string>(makeClient(t, srv.url + '/2.0'), { path: '/repositories/ws/repo/commits' }))
  t.same(flat(pages), ids(5, 'h'))
  t.same(pages.map((p) => p.items.length), [2, 2, 1, 0])
  t.equal(pages.at(-1)?.end, PageEnd.EmptyPage)
  t.equal(pages.at(-1)?.nextState, null)
})

t.test('a repeated cursor or next URL ends the iteration and is logged', async (t) => {
  const srv = await fakeAtlassian(t)
  const cap = captureLogger()
  const c = makeClient(t, srv.url, cap.logger)
  const bb = await collect(bitbucketPages<unknown>(makeClient(t, srv.url + '/2.0', cap.logger), { path: '/repositories/ws/loop/commits' }))
  t.equal(bb.length, 2)
  t.equal(bb[1]?.end, PageEnd.RepeatedCursor)
  const jql = await collect(jiraSearchPages<unknown>(c, { jql: 'loop' }))
  t.equal(jql.length, 2)
  t.equal(jql[1]?.end, PageEnd.RepeatedCursor)
  const warnings = cap.entries().filter((e) => e.msg === 'paging stopped: the server repeated a cursor')
  t.same(warnings.map((w) => w.path), ['/repositories/ws/loop/commits', '/rest/api/3/search/jql'])
})

t.test('a glitch that returns the current cursor is fetched again; a cycle to an earlier cursor ends', async (t) => {
  const glitched = new Set<string>()
  const srv = await startLocalServer(t, (app) => {
    // Each cursor's first answer points back at itself; the second answer is right.
    app.get('/admin/v1/orgs/o/events', async (req) => {
      const cursor = (req.query as Q).cursor
      const n = Number(cursor ?? 0)
      const data = n < 3 ? [{ id: `e${n}` }] : []
      const next = n >= 2 ? null : cursor === undefined || glitched.has(cursor) ? String(n + 1) : cursor
      if (cursor !== undefined) glitched.add(cursor)
      return { data, meta: { next } }
    })
    app.get('/admin/v1/orgs/o/events-stream', async (req) => {
      const cursor = (req.query as Q).cursor
      const next = cursor === undefined ? 'a' : cursor === 'a' ? 'b' : 'a' // a → b → a
      return { data: [{ id: cursor ?? 'first' }], meta: { next } }
    })
  })
  const cap = captureLogger()
  const c = makeClient(t, srv.url + '/admin', cap.logger)
  const pages = await collect(adminEventsPages<{ id: string }>(c, { orgId: 'o' }))
  t.same(flat(pages).map((e) => e.id), ['e0', 'e1', 'e2'], 'no page lost, none duplicated')
  t.equal(srv.requests.length, 4, 'cursor 1 was fetched twice')
  t.equal(cap.entries().filter((e) => /fetching the page again/.test(String(e.msg))).length, 1)
  const cycle = await collect(adminEventsStreamPages<{ id: string }>(c, { orgId: 'o' }))
  t.same(flat(cycle).map((e) => e.id), ['first', 'a', 'b'])
  t.equal(cycle.at(-1)?.end, PageEnd.RepeatedCursor)
})

t.test('a cross-origin next URL is refused and nothing is sent there', async (t) => {
  const other = await startLocalServer(t, (app) => { app.get('/*', async () => ({ values: [] })) })
  const srv = await startLocalServer(t, (app) => {
    app.get('/2.0/repositories/ws/r/commits', async () => ({ values: [{ hash: 'a' }], next: `${other.url}/2.0/repositories/ws/r/commits?page=2` }))
  })
  const it = bitbucketPages<unknown>(makeClient(t, srv.url + '/2.0'), { path: '/repositories/ws/r/commits' })
  const first = await it.next()
  t.equal(first.done, false)
  await t.rejects(it.next(), { code: 'ATL_HTTP_CROSS_ORIGIN' })
  t.equal(other.requests.length, 0)
})

t.test('Jira worklog/updated follows nextPage until lastPage, even though the last page has nextPage', async (t) => {
  const srv = await fakeAtlassian(t)
  const pages = await collect(jiraWorklogUpdatedPages<{ worklogId: string }>(makeClient(t, srv.url), { since: 0 }))
  t.same(flat(pages).map((w) => w.worklogId), ids(5, 'w'))
  t.equal(pages.length, 3)
  t.equal(pages.at(-1)?.end, PageEnd.LastPage)
})

t.test('Jira worklog/updated rebuilds a foreign-origin nextPage on the base URL from until', async (t) => {
  const other = await startLocalServer(t, (app) => { app.get('/*', async () => ({ values: [] })) })
  const srv = await startLocalServer(t, (app) => {
    app.get('/ex/jira/cid/rest/api/3/worklog/updated', async (req) => {
      const since = Number((req.query as Q).since)
      return since === 0
        ? { values: [{ worklogId: 1 }], since: 0, until: 10, lastPage: false, nextPage: `${other.url}/rest/api/3/worklog/updated?since=10` }
        : { values: [{ worklogId: 2 }], since, until: 20, lastPage: true, nextPage: `${other.url}/rest/api/3/worklog/updated?since=20` }
    })
  })
  const pages = await collect(jiraWorklogUpdatedPages<{ worklogId: number }>(makeClient(t, srv.url + '/ex/jira/cid'), { since: 0 }))
  t.same(flat(pages).map((w) => w.worklogId), [1, 2])
  t.equal(other.requests.length, 0)
  t.equal(srv.requests[1]?.url, '/ex/jira/cid/rest/api/3/worklog/updated?since=10')
})

t.test('admin events-stream: the cursor on the last page does not loop; an empty page ends the sweep', async (t) => {
  const srv = await fakeAtlassian(t)
  const c = makeClient(t, srv.url + '/admin')
  const pages = await collect(adminEventsStreamPages<{ id: string }>(c, { orgId: 'org-1', query: { limit: 2 } }))
  t.same(flat(pages).map((e) => e.id), ids(5, 'e'))
  t.same(pages.map((p) => p.items.length), [2, 2, 1, 0])
  const last = pages.at(-1)
  t.equal(last?.end, PageEnd.EmptyPage)
  t.same(last?.state, { cursor: '5' }, 'the cursor to poll from next time')
  const again = await collect(adminEventsStreamPages<unknown>(c, { orgId: 'org-1', start: last?.state }))
  t.equal(again.length, 1)
  t.equal(again[0]?.items.length, 0)
  t.match(srv.requests.at(-1)?.url, /^\/admin\/v1\/orgs\/org-1\/events-stream\?cursor=5$/)
})

t.test('admin events: stops when meta.next is null', async (t) => {
  const srv = await fakeAtlassian(t)
  const pages = await collect(adminEventsPages<{ id: string }>(makeClient(t, srv.url + '/admin'), { orgId: 'org-1' }))
  t.same(flat(pages).map((e) => e.id), ids(5, 'e'))
  t.equal(pages.length, 3)
})

t.test('iterators are lazy and cancellable between pages', async (t) => {
  const srv = await fakeAtlassian(t)
  const ac = new AbortController()
  const it = jiraAuditPages<unknown>(makeClient(t, srv.url), { signal: ac.signal })
  await it.next()
  t.equal(srv.requests.length, 1, 'one request per page pulled')
  ac.abort()
  await t.rejects(it.next(), { code: 'ATL_HTTP_ABORTED' })
  t.equal(srv.requests.length, 1)
  const capped = await collect(jiraAuditPages<unknown>(makeClient(t, srv.url), { maxPages: 2 }))
  t.equal(capped.length, 2)
  t.equal(capped[1]?.end, PageEnd.MaxPages)
})

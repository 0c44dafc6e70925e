// The read-only client and its iterators against the Atlassian simulator: complete walks (checked against the
// simulator's ground truth), fault tolerance, measured Retry-After, an expired token, and no writes or secrets.
import t from 'tap'
import { buildSimulator, startSimulator } from '../../../src/simulator/index.js'
import { createReadOnlyClient, type ReadOnlyClient } from '../../../src/connectors/http/read-only-client.js'
import { createRateLimiter, RateProfiles, type RateLimiter } from '../../../src/connectors/http/rate-limit.js'
import {
  adminEventsPages, adminEventsStreamPages, adminUsersPages, bitbucketPages, confluenceAuditPages, confluenceSearchPages, confluenceV2Pages,
  jiraAuditPages, jiraChangelogPages, jiraCommentPages, jiraSearchPages, jiraWorklogUpdatedPages, PageEnd, type Page
} from '../../../src/connectors/http/paging.js'
import type { Logger } from 'pino'
import { captureLogger } from './local-server.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const EMAIL = 'admin@example.com'
const TOKEN = 'sim-token'
const ORG_KEY = 'sim-org-key'

type Teardown = { teardown: (fn: () => unknown) => void }

// Simulator runs lift the production rate profiles (the /events profile alone allows 9 requests a minute).
function fastLimiter (): RateLimiter {
  const fast = { concurrency: 4, ratePerSecond: 10_000, burst: 10_000 }
  return createRateLimiter({ profiles: Object.fromEntries(Object.keys(RateProfiles).map((k) => [k, fast])) })
}

interface Clients { jira: ReadOnlyClient, bitbucket: ReadOnlyClient, bitbucketBearer: ReadOnlyClient, admin: ReadOnlyClient }

function clients (t: Teardown, url: string, logger: Logger, retry = { baseMs: 5, capMs: 50, maxAttempts: 8 }): Clients {
  const limiter = fastLimiter()
  const make = (baseUrl: string, auth: Parameters<typeof createReadOnlyClient>[0]['auth'], rateProfile: string): ReadOnlyClient => {
    const c = createReadOnlyClient({ baseUrl, auth, logger, limiter, rateProfile, retry })
    t.teardown(() => c.close())
    return c
  }
  const basic = { kind: 'basic', email: EMAIL, token: TOKEN } as const
  return {
    jira: make(url, basic, 'jira'), // Jira and Confluence share the site origin
    bitbucket: make(url + '/2.0', basic, 'bitbucket'),
    bitbucketBearer: make(url + '/2.0', { kind: 'bearer', token: TOKEN }, 'bitbucket'),
    admin: make(url + '/admin', { kind: 'bearer', token: ORG_KEY }, 'admin')
  }
}

async function collect<T, R, S> (it: AsyncGenerator<Page<T, R, S>>): Promise<Array<Page<T, R, S>>> {
  const pages: Array<Page<T, R, S>> = []
  for await (const p of it) pages.push(p)
  return pages
}

type Rec = Record<string, unknown>
const distinct = <T>(pages: Array<{ items: T[] }>, key: (x: T) => unknown): Set<string> =>
  new Set(pages.flatMap((p) => p.items.map((x) => JSON.stringify(key(x)))))

async function bitbucketActivity (c: ReadOnlyClient, workspace: string): Promise<number> {
  const repos = await collect(bitbucketPages<{ slug: string }>(c, { path: `/repositories/${workspace}`, query: { pagelen: 100 } }))
  const ids = new Set<string>()
  for (const slug of repos.flatMap((p) => p.items.map((r) => r.slug))) {
    for await (const page of bitbucketPages<{ hash: string }>(c, { path: `/repositories/${workspace}/${slug}/commits`, query: { pagelen: 100 } })) {
      for (const x of page.items) ids.add(`commit:${x.hash}`)
    }
    for await (const page of bitbucketPages<Rec>(c, { path: `/repositories/${workspace}/${slug}/pullrequests/activity`, query: { pagelen: 50 } })) {
      for (const x of page.items) {
        const kind = Object.keys(x).find((k) => k !== 'pull_request') as string
        const item = x[kind] as Rec
        const who = ((item.user ?? item.author) as Rec | undefined)?.uuid
        ids.add(`${slug}|${String((x.pull_request as Rec).id)}|${kind}|${String(item.state ?? '')}|${String(item.date ?? item.created_on)}|${String(who)}`)
      }
    }
  }
  return ids.size
}

t.test('every paging style runs to the end against the simulator and matches its ground truth', async (t) => {
  const sim = await startSimulator({ seed: 7, size: 'small', guard: true, faults: 'none', now: NOW })
  t.teardown(() => sim.close())
  const cap = captureLogger()
  const c = clients(t, sim.url, cap.logger)
  const truth = sim.handle.groundTruth()

  // offset/limit/total
  const audit = await collect(jiraAuditPages<{ id: number }>(c.jira, { limit: 200 }))
  t.equal(distinct(audit, (r) => r.id).size, (truth['jira-audit'] ?? 0) + (truth['jsm-audit'] ?? 0), 'Jira + JSM audit records')
  t.ok(audit.length > 1, `${audit.length} audit pages`)
  t.equal(audit.at(-1)?.end, PageEnd.LastPage)
  // start/limit/size
  const confAudit = await collect(confluenceAuditPages<Rec>(c.jira, { limit: 100 }))
  t.equal(distinct(confAudit, (r) => [r.creationDate, r.summary, r.affectedObject]).size, truth['confluence-audit'], 'Confluence audit records')
  // cursor, stop on empty page; resume from the stored cursor after new events appear
  const stream = await collect(adminEventsStreamPages<{ id: string }>(c.admin, { orgId: sim.handle.orgId, query: { limit: 100 } }))
  t.equal(distinct(stream, (e) => e.id).size, truth['org-events'], 'org events (stream)')
  const last = stream.at(-1)
  t.equal(last?.end, PageEnd.EmptyPage)
  const before = truth['org-events'] ?? 0
  sim.handle.clock.advance(3 * 24 * 3600 * 1000)
  const later = await collect(adminEventsStreamPages<{ id: string }>(c.admin, { orgId: sim.handle.orgId, start: last?.state }))
  const after = sim.handle.groundTruth()['org-events'] ?? 0
  t.ok(after > before, 'the clock revealed new events')
  t.equal(distinct(later, (e) => e.id).size, after - before, 'resuming from the checkpointed cursor yields exactly the new events')
  // cursor, stop when next is absent
  const events = await collect(adminEventsPages<{ id: string }>(c.admin, { orgId: sim.handle.orgId, query: { limit: 100 } }))
  t.equal(distinct(events, (e) => e.id).size, after, 'org events (/events)')
  // cursor carried in links.next (admin users)
  const users = await collect(adminUsersPages<{ account_id: string }>(c.admin, { orgId: sim.handle.orgId, query: { limit: 10 } }))
  t.ok(users.length > 1, `${users.length} pages of managed accounts`)
  t.equal(distinct(users, (u) => u.account_id).size, users.reduce((n, p) => n + p.items.length, 0), 'no account twice')
  t.equal(users.at(-1)?.end, PageEnd.LastPage)

  // nextPageToken by GET and POST
  const jql = 'updated >= "2025-01-01 00:00" ORDER BY updated ASC'
  const viaGet = await collect(jiraSearchPages<{ key: string }>(c.jira, { jql, maxResults: 50 }))
  const viaPost = await collect(jiraSearchPages<{ key: string }>(c.jira, { jql, maxResults: 50, method: 'POST' }))
  const keys = distinct(viaGet, (i) => i.key)
  t.ok(keys.size > 50, `${keys.size} issues over ${viaGet.length} pages`)
  t.same([...distinct(viaPost, (i) => i.key)].sort(), [...keys].sort(), 'GET and POST search agree')
  t.equal(viaGet.at(-1)?.end, PageEnd.LastPage)
  // startAt/isLast and startAt/total on a few issues
  for (const key of [...keys].slice(0, 3).map((k) => JSON.parse(k) as string)) {
    const log = await collect(jiraChangelogPages<Rec>(c.jira, key, { maxResults: 2 }))
    t.equal(log.reduce((n, p) => n + p.items.length, 0), log[0]?.raw.total ?? 0, `${key} changelog complete`)
    const com = await collect(jiraCommentPages<Rec>(c.jira, key, { maxResults: 2 }))
    t.equal(com.reduce((n, p) => n + p.items.length, 0), com[0]?.raw.total ?? 0, `${key} comments complete`)
  }
  // nextPage + lastPage
  const worklogs = await collect(jiraWorklogUpdatedPages<{ worklogId: number }>(c.jira, { since: 0 }))
  t.ok(distinct(worklogs, (w) => w.worklogId).size > 0)
  t.equal(worklogs.at(-1)?.end, PageEnd.LastPage)
  // Confluence CQL (_links.next relative to _links.base) and v2 (_links.next / Link header)
  const cql = await collect(confluenceSearchPages<Rec>(c.jira, { cql: 'lastmodified >= "2025-01-01" AND type in (page, blogpost) order by lastmodified asc', limit: 25 }))
  t.equal(cql.reduce((n, p) => n + p.items.length, 0), cql[0]?.raw.size !== undefined ? (cql[0].raw as { totalSize?: number }).totalSize : -1, 'CQL results complete')
  t.ok(cql.length > 1)
  const v2 = await collect(confluenceV2Pages<{ id: string }>(c.jira, { path: '/wiki/api/v2/pages', query: { limit: 10 } }))
  t.ok(v2.length > 1 && distinct(v2, (p) => p.id).size === v2.reduce((n, p) => n + p.items.length, 0), `${v2.length} v2 pages, no duplicates`)
  // Bitbucket absolute next links, Basic and Bearer
  t.equal(await bitbucketActivity(c.bitbucket, sim.handle.workspace), sim.handle.groundTruth()['bitbucket-activity'], 'Bitbucket activity (Basic)')
  t.equal(await bitbucketActivity(c.bitbucketBearer, sim.handle.workspace), sim.handle.groundTruth()['bitbucket-activity'], 'Bitbucket activity (Bearer)')

  const output = cap.lines.join('\n')
  for (const secret of [TOKEN, ORG_KEY, EMAIL, Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')]) {
    t.notOk(output.includes(secret), `no ${secret.slice(0, 8)}… in ${cap.lines.length} log lines`)
  }
})

t.test('under 429s, 5xx bursts, truncated JSON and repeated cursors the walks are still complete', async (t) => {
  // Heavier than the 'default' preset so that every kind shows up in a short walk; no expired token (tested below).
  const faults = { rateLimit: 0.08, retryAfterSeconds: 1, retryAfterHttpDate: 0.3, serverError: 0.05, burstMax: 2, truncated: 0.05, repeatCursor: 0.1, recordQuirks: 0.2, slow: 0.05, slowMs: [5, 30] as const }
  const sim = await startSimulator({ seed: 3, size: 'small', guard: true, faults, now: NOW })
  t.teardown(() => sim.close())
  const cap = captureLogger()
  const c = clients(t, sim.url, cap.logger)
  const truth = sim.handle.groundTruth()
  const audit = await collect(jiraAuditPages<{ id: number }>(c.jira, { limit: 50 }))
  t.equal(distinct(audit, (r) => r.id).size, (truth['jira-audit'] ?? 0) + (truth['jsm-audit'] ?? 0))
  const stream = await collect(adminEventsStreamPages<{ id: string }>(c.admin, { orgId: sim.handle.orgId, query: { limit: 50 } }))
  t.equal(distinct(stream, (e) => e.id).size, truth['org-events'])
  t.equal(await bitbucketActivity(c.bitbucket, sim.handle.workspace), truth['bitbucket-activity'])
  const injected = sim.handle.stats().faultsInjected
  const total = Object.values(injected).reduce((a, b) => a + b, 0)
  t.ok(total > 0, `faults injected: ${JSON.stringify(injected)}`)
  for (const kind of ['rate-limit', 'server-error', 'truncated-json', 'repeat-cursor']) t.ok((injected[kind] ?? 0) > 0, `${kind} was injected and survived`)
  t.ok(cap.entries().some((e) => e.msg === 'atlassian request retrying'), 'the client retried')
})

t.test('a 429 from the simulator is retried only after its Retry-After (measured)', async (t) => {
  const sim = await startSimulator({ seed: 1, faults: { rateLimit: 1, retryAfterSeconds: 1 }, now: NOW })
  t.teardown(() => sim.close())
  const cap = captureLogger()
  const c = clients(t, sim.url, cap.logger)
  const started = performance.now()
  const res = await c.jira.get<{ accountId: string }>('/rest/api/3/myself')
  const elapsed = performance.now() - started
  t.equal(res.status, 200)
  t.ok(elapsed >= 1000, `took ${Math.round(elapsed)} ms >= the 1 s Retry-After`)
  const retry = cap.entries().find((e) => e.msg === 'atlassian request retrying')
  t.equal(retry?.status, 429)
  t.ok(Number(retry?.delayMs) >= 1000)
})

t.test('an expired token is a coded auth error, not retried', async (t) => {
  const sim = await startSimulator({ seed: 1, faults: { expiredTokenAt: 2 }, now: NOW })
  t.teardown(() => sim.close())
  const c = clients(t, sim.url, captureLogger().logger)
  await c.jira.get('/rest/api/3/myself')
  const before = sim.handle.stats().requests
  await t.rejects(c.jira.get('/rest/api/3/myself'), { code: 'ATL_HTTP_AUTH', details: { status: 401, attempts: 1, retryable: false } })
  t.equal(sim.handle.stats().requests - before, 1)
})

t.test('an org without Guard answers the events paths with a coded 403 the connector can inspect', async (t) => {
  const sim = await startSimulator({ seed: 1, guard: false, now: NOW })
  t.teardown(() => sim.close())
  const c = clients(t, sim.url, captureLogger().logger)
  await t.rejects(collect(adminEventsStreamPages(c.admin, { orgId: sim.handle.orgId })), { code: 'ATL_HTTP_FORBIDDEN', details: { status: 403, summary: /ADMIN-403-3/ } })
})

t.test('no write reaches the simulator', async (t) => {
  const app = await buildSimulator({ seed: 1, now: NOW })
  const methods: string[] = []
  app.addHook('onRequest', async (req) => { methods.push(`${req.method} ${req.url.split('?')[0] ?? ''}`) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const c = clients(t, url, captureLogger().logger)
  const attempts = ['/rest/api/3/issue', '/rest/api/3/search/jql/', '/rest/api/3/search/jql?x', '/wiki/rest/api/content', '/rest/api/3/search/../issue']
  for (const path of attempts) await t.rejects(c.jira.postSearch(path as '/rest/api/3/search/jql', { fields: {} }), { code: 'ATL_HTTP_WRITE_FORBIDDEN' })
  await c.jira.postSearch('/rest/api/3/worklog/list', { ids: [1] })
  await c.jira.get('/rest/api/3/myself')
  t.same(methods.filter((m) => !m.startsWith('GET ')), ['POST /rest/api/3/worklog/list'], 'the allow-listed search is the only non-GET')
})

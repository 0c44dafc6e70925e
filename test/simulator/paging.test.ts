import t from 'tap'
import { startSimulator } from '../../src/simulator/index.js'
import { createFetcher, DEFAULT_AUTH, type Fetcher } from './walk-helpers.js'

const NOW = new Date('2026-06-01T00:00:00Z')

async function jqlIds (f: Fetcher, between?: () => void): Promise<string[]> {
  const ids: string[] = []
  let token: string | undefined
  for (;;) {
    const q = new URLSearchParams({ jql: 'updated >= "2025-12-01 00:00" AND project in (ENG, HELP) ORDER BY updated ASC', maxResults: '7', fields: 'updated' })
    if (token !== undefined) q.set('nextPageToken', token)
    const { body } = await f.get(`/rest/api/3/search/jql?${q.toString()}`)
    for (const i of body.issues) ids.push(i.key)
    between?.()
    if (body.isLast) return ids
    token = body.nextPageToken
  }
}

async function streamIds (f: Fetcher): Promise<string[]> {
  const ids: string[] = []
  let cursor = ''
  for (;;) {
    const { body } = await f.get(`/admin/v1/orgs/sim-org/events-stream?limit=13${cursor === '' ? '' : `&cursor=${cursor}`}`)
    if (body.data.length === 0) return ids
    for (const e of body.data) ids.push(e.id)
    cursor = body.meta.next
  }
}

async function linkIds (f: Fetcher, first: string, pick: (b: any) => { items: string[], next: string | null }): Promise<string[]> {
  const ids: string[] = []
  let next: string | null = first
  while (next !== null) {
    const { body } = await f.get(next)
    const p = pick(body)
    ids.push(...p.items)
    next = p.next
  }
  return ids
}

const pagesIds = (f: Fetcher): Promise<string[]> => linkIds(f, '/wiki/api/v2/pages?limit=9&sort=-modified-date', (b) => ({ items: b.results.map((r: any) => r.id), next: b._links.next ?? null }))
const commitIds = (f: Fetcher): Promise<string[]> => linkIds(f, '/2.0/repositories/acme/web-app/commits?pagelen=5', (b) => ({ items: b.values.map((c: any) => c.hash), next: b.next ?? null }))
const cqlIds = (f: Fetcher): Promise<string[]> => linkIds(f, `/wiki/rest/api/search?limit=6&cql=${encodeURIComponent('lastmodified >= "2026-01-01" AND type in (page, blogpost) order by lastmodified asc')}`, (b) => ({ items: b.results.map((r: any) => r.content.id), next: b._links.next === undefined ? null : b._links.base + b._links.next }))
async function auditIds (f: Fetcher): Promise<string[]> {
  const ids: string[] = []
  for (let offset = 0; ;) {
    const { body } = await f.get(`/rest/api/3/auditing/record?offset=${offset}&limit=11&to=2026-06-01T00:00:00.000Z`)
    ids.push(...body.records.map((r: any) => String(r.id)))
    offset += body.records.length
    if (body.records.length === 0 || offset >= body.total) return ids
  }
}

const WALKS = { jql: jqlIds, stream: streamIds, pages: pagesIds, commits: commitIds, cql: cqlIds, audit: auditIds }

t.test('paging is stable under concurrent reads: every walker sees the same complete, duplicate-free list', async (t) => {
  const sim = await startSimulator({ seed: 8, now: NOW })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const sequential: Record<string, string[]> = {}
  for (const [name, walk] of Object.entries(WALKS)) sequential[name] = await walk(f)
  const concurrent = await Promise.all(Array.from({ length: 4 }, async () => {
    const out: Record<string, string[]> = {}
    await Promise.all(Object.entries(WALKS).map(async ([name, walk]) => { out[name] = await walk(createFetcher(sim.url, DEFAULT_AUTH)) }))
    return out
  }))
  for (const [name, ids] of Object.entries(sequential)) {
    t.ok(ids.length > 10, `${name}: ${ids.length} records over several pages`)
    t.equal(new Set(ids).size, ids.length, `${name}: no duplicates`)
    for (const run of concurrent) t.same(run[name], ids, `${name}: same as sequential`)
  }
})

t.test('a JQL token pages through its snapshot even when the clock moves between pages', async (t) => {
  const sim = await startSimulator({ seed: 8, now: NOW })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const still = await jqlIds(f)
  const moving = await jqlIds(f, () => sim.handle.clock.advance(86_400_000))
  t.same(moving, still)
})

t.test('limits are clamped to the documented maxima', async (t) => {
  const sim = await startSimulator({ seed: 8, now: NOW, size: { people: 30, events: 8000 } })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const { body: jql } = await f.get('/rest/api/3/search/jql?jql=' + encodeURIComponent('updated >= "2025-01-01 00:00"') + '&fields=summary&maxResults=1000')
  t.equal(jql.issues.length, 100)
  const { body: stream } = await f.get('/admin/v1/orgs/sim-org/events-stream')
  t.equal(stream.data.length, 200, 'events-stream default page is 200')
  t.equal(stream.meta.page_size, 200)
  const { body: worklogs } = await f.get('/rest/api/3/worklog/updated?since=0')
  t.equal(worklogs.lastPage, worklogs.values.length < 1000)
  t.match(worklogs.nextPage, /\/rest\/api\/3\/worklog\/updated\?since=\d+/)
})

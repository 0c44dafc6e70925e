import t from 'tap'
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { countWalked, createFetcher, DEFAULT_AUTH, walkAll } from './walk-helpers.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const BASIC = { authorization: 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64') }
const ADMIN = { authorization: 'Bearer sim-org-key' }

async function sim (t: { teardown: (fn: () => Promise<void>) => void }, faults: SimulatorOptions['faults']): Promise<Awaited<ReturnType<typeof startSimulator>>> {
  const s = await startSimulator({ seed: 5, now: NOW, faults })
  t.teardown(s.close)
  return s
}

t.test('429 with Retry-After in seconds, then the same request succeeds', async (t) => {
  const s = await sim(t, { rateLimit: 1, retryAfterSeconds: 2 })
  const url = `${s.url}/rest/api/3/auditing/record?limit=5`
  const first = await fetch(url, { headers: BASIC })
  t.equal(first.status, 429)
  t.equal(first.headers.get('retry-after'), '2')
  t.match(await first.json(), { errorMessages: [String], errors: {} }, 'Jira error shape')
  const second = await fetch(url, { headers: BASIC })
  t.equal(second.status, 200)
  t.equal(((await second.json()) as { records: unknown[] }).records.length, 5)
  t.equal(s.handle.stats().faultsInjected['rate-limit'], 1)
})

t.test('429 with Retry-After as an HTTP-date in the future; Bitbucket answers in text', async (t) => {
  const s = await sim(t, { rateLimit: 1, retryAfterHttpDate: 1 })
  const before = Date.now()
  const res = await fetch(`${s.url}/2.0/repositories/acme`, { headers: BASIC })
  t.equal(res.status, 429)
  const ra = res.headers.get('retry-after')!
  // Never earlier than Retry-After seconds (1) after the request was sent.
  t.ok(Number.isNaN(Number(ra)) && Date.parse(ra) >= before + 1000, `HTTP-date ${ra}`)
  t.equal(await res.text(), 'Rate limit for this resource has been exceeded')
})

t.test('5xx bursts end, and the retried request gets the right page', async (t) => {
  const s = await sim(t, { serverError: 1, burstMax: 3 })
  const url = `${s.url}/wiki/api/v2/pages?limit=3`
  const statuses: number[] = []
  let body: unknown
  for (let i = 0; i < 5; i++) {
    const res = await fetch(url, { headers: BASIC })
    statuses.push(res.status)
    if (res.status === 200) { body = await res.json(); break }
    t.ok([500, 502, 503].includes(res.status))
  }
  t.ok(statuses.length >= 2 && statuses.length <= 4, `burst then success: ${statuses.join(',')}`)
  const clean = await startSimulator({ seed: 5, now: NOW })
  t.teardown(clean.close)
  const expected = await (await fetch(`${clean.url}/wiki/api/v2/pages?limit=3`, { headers: BASIC })).json() as { results: unknown[] }
  t.same((body as { results: unknown[] }).results, expected.results)
})

t.test('slow responses are counted', async (t) => {
  const s = await sim(t, { slow: 1, slowMs: [20, 40] })
  const res = await fetch(`${s.url}/rest/api/3/project/search`, { headers: BASIC })
  t.equal(res.status, 200)
  t.equal(s.handle.stats().faultsInjected.slow, 1)
})

t.test('truncated JSON body on 200, clean on retry', async (t) => {
  const s = await sim(t, { truncated: 1 })
  const url = `${s.url}/admin/v1/orgs/sim-org/users`
  const first = await fetch(url, { headers: ADMIN })
  t.equal(first.status, 200)
  const text = await first.text()
  t.throws(() => JSON.parse(text), 'body is not valid JSON')
  const second = await fetch(url, { headers: ADMIN })
  t.ok(JSON.parse(await second.text()).data.length > 0)
})

t.test('repeat cursor: a page hands back its own cursor once, then paging moves on', async (t) => {
  const s = await sim(t, { repeatCursor: 1 })
  const first = await (await fetch(`${s.url}/admin/v1/orgs/sim-org/events-stream?limit=10`, { headers: ADMIN })).json() as { data: Array<{ id: string }>, meta: { next: string } }
  const url = `${s.url}/admin/v1/orgs/sim-org/events-stream?limit=10&cursor=${first.meta.next}`
  const a = await (await fetch(url, { headers: ADMIN })).json() as { data: Array<{ id: string }>, meta: { next: string } }
  t.equal(a.meta.next, first.meta.next, 'the cursor repeats')
  const b = await (await fetch(url, { headers: ADMIN })).json() as { data: Array<{ id: string }>, meta: { next: string } }
  t.not(b.meta.next, first.meta.next, 'following it again advances')
  t.same(b.data.map((e) => e.id), a.data.map((e) => e.id), 'same records both times')
  const bb = await (await fetch(`${s.url}/2.0/repositories/acme/api-gateway/commits?pagelen=5&page=2`, { headers: BASIC })).json() as { next: string }
  t.match(bb.next, /page=2/, 'Bitbucket next points at the same page')
  t.ok(s.handle.stats().faultsInjected['repeat-cursor']! >= 2)
})

t.test('record quirks: missing optional fields or unexpected extra fields, fixed per record', async (t) => {
  const s = await sim(t, { recordQuirks: 1 })
  const get = async (): Promise<Array<Record<string, unknown>>> => ((await (await fetch(`${s.url}/rest/api/3/auditing/record?limit=50`, { headers: BASIC })).json()) as { records: Array<Record<string, unknown>> }).records
  const records = await get()
  t.ok(records.some((r) => !('remoteAddress' in r)), 'some records miss optional fields')
  t.ok(records.some((r) => 'simUnexpectedField' in r), 'some carry unexpected fields')
  t.ok(records.every((r) => typeof r.id === 'number' && typeof r.created === 'string'), 'required fields stay')
  t.same(await get(), records, 'the same records look the same on every read')
})

t.test('expired token: one 401 on the configured request, then it works again', async (t) => {
  const s = await sim(t, { expiredTokenAt: 2 })
  const url = `${s.url}/rest/api/3/myself`
  const codes = []
  for (let i = 0; i < 4; i++) codes.push((await fetch(url, { headers: BASIC })).status)
  t.same(codes, [200, 401, 200, 200])
  t.equal(s.handle.stats().faultsInjected['expired-token'], 1)
})

t.test('faults are deterministic for a seed', async (t) => {
  const run = async (): Promise<number[]> => {
    const s = await startSimulator({ seed: 9, now: NOW, faults: 'heavy' })
    try {
      const out = []
      for (let i = 0; i < 60; i++) out.push((await fetch(`${s.url}/rest/api/3/issue/ENG-${1 + (i % 30)}/changelog`, { headers: BASIC })).status)
      return out
    } finally { await s.close() }
  }
  const a = await run()
  t.same(await run(), a)
  t.ok(a.some((x) => x !== 200), `heavy faults show up: ${a.join(',')}`)
})

t.test('under heavy faults a careful walker still gets exactly the ground truth', async (t) => {
  // Heavy mix, but Retry-After 0 so the test stays fast.
  const s = await startSimulator({ seed: 21, now: NOW, size: { people: 25, events: 1500 }, faults: { rateLimit: 0.06, retryAfterSeconds: 0, serverError: 0.05, burstMax: 3, truncated: 0.03, repeatCursor: 0.1, recordQuirks: 0.2, slow: 0.02, slowMs: [1, 5], expiredTokenAt: 25 } })
  t.teardown(s.close)
  const f = createFetcher(s.url, DEFAULT_AUTH, { maxWaitMs: 50 })
  const walked = await walkAll(f, DEFAULT_AUTH, true)
  const to = new Date(NOW.getTime() - 120_000)
  t.same(countWalked(walked, 0, to.getTime()), s.handle.groundTruth(undefined, to))
  const injected = s.handle.stats().faultsInjected
  for (const k of ['rate-limit', 'server-error', 'truncated-json', 'repeat-cursor', 'record-quirk', 'expired-token']) t.ok(injected[k]! > 0, `${k} injected (${injected[k]})`)
  t.ok(f.retries > 0)
})

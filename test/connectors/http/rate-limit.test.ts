import t from 'tap'
import { createRateLimiter, RateProfiles } from '../../../src/connectors/http/rate-limit.js'
import { createReadOnlyClient } from '../../../src/connectors/http/read-only-client.js'
import { captureLogger, startLocalServer } from './local-server.js'

t.test('default profiles stay inside the documented limits', async (t) => {
  const { adminEvents, bitbucket } = RateProfiles
  t.ok(adminEvents.burst + adminEvents.ratePerSecond * 60 <= 10, 'org /events: at most 10 requests in any minute')
  t.ok(bitbucket.burst + bitbucket.ratePerSecond * 3600 <= 1000, 'Bitbucket: at most 1,000 requests in any hour')
  t.equal(adminEvents.concurrency, 1)
  t.ok(Object.isFrozen(RateProfiles) && Object.isFrozen(RateProfiles.default))
})

t.test('the server never sees more requests in flight than the concurrency limit', async (t) => {
  let inFlight = 0
  let peak = 0
  const srv = await startLocalServer(t, (app) => {
    app.get('/x', async () => {
      inFlight++; peak = Math.max(peak, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 30))
      inFlight--
      return { ok: true }
    })
  })
  const limiter = createRateLimiter({ profiles: { default: { concurrency: 2, ratePerSecond: 1000, burst: 1000 } } })
  const c = createReadOnlyClient({ baseUrl: srv.url, auth: { kind: 'bearer', token: 'abcdef' }, logger: captureLogger().logger, limiter })
  t.teardown(() => c.close())
  await Promise.all(Array.from({ length: 8 }, () => c.get('/x')))
  t.equal(peak, 2)
  t.equal(srv.requests.length, 8)
})

t.test('the request rate is bounded by the bucket (measured at the server)', async (t) => {
  const srv = await startLocalServer(t, (app) => { app.get('/x', async () => ({ ok: true })) })
  const limiter = createRateLimiter({ profiles: { slow: { concurrency: 10, ratePerSecond: 20, burst: 2 } } })
  const c = createReadOnlyClient({ baseUrl: srv.url, auth: { kind: 'bearer', token: 'abcdef' }, logger: captureLogger().logger, limiter, rateProfile: 'slow' })
  t.teardown(() => c.close())
  const started = performance.now()
  await Promise.all(Array.from({ length: 8 }, () => c.get('/x')))
  const elapsed = performance.now() - started
  // 2 from the burst, then one per 50 ms: the 8th token exists only 6 × 50 ms after the start.
  t.ok(elapsed >= 6 * 50 - 2, `8 requests took ${Math.round(elapsed)} ms`)
  t.equal(srv.requests.length, 8)
})

t.test('profiles are keyed by host and name; a pause holds one bucket only', async (t) => {
  const limiter = createRateLimiter({ now: () => 1000, profiles: { tiny: { concurrency: 5, ratePerSecond: 1, burst: 1 } } })
  const r1 = await limiter.acquire('a.example', 'tiny'); r1()
  const r2 = await limiter.acquire('b.example', 'tiny'); r2() // other host: own bucket
  const r3 = await limiter.acquire('a.example', 'default'); r3() // other profile: own bucket
  limiter.pause('b.example', 'default', 60_000)
  const r4 = await limiter.acquire('a.example', 'default'); r4()
  t.same(limiter.profile('unknown'), RateProfiles.default)
  t.equal(limiter.profile('tiny').ratePerSecond, 1)
  t.throws(() => createRateLimiter({ profiles: { bad: { concurrency: 0 } } }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
})

t.test('cancellation interrupts a rate-limit wait', async (t) => {
  const srv = await startLocalServer(t, (app) => { app.get('/x', async () => ({ ok: true })) })
  const limiter = createRateLimiter({ profiles: { default: { ratePerSecond: 0.01, burst: 1 } } })
  const c = createReadOnlyClient({ baseUrl: srv.url, auth: { kind: 'bearer', token: 'abcdef' }, logger: captureLogger().logger, limiter })
  t.teardown(() => c.close())
  await c.get('/x') // spends the only token; the next one is 100 s away
  const ac = new AbortController()
  const started = Date.now()
  setTimeout(() => ac.abort(), 50)
  await t.rejects(c.get('/x', undefined, { signal: ac.signal }), { code: 'ATL_HTTP_ABORTED' })
  t.ok(Date.now() - started < 50_000, 'did not wait for the token')
  t.equal(srv.requests.length, 1)
})

t.test('a Retry-After pauses the shared bucket for every client of that host', async (t) => {
  const hits: number[] = []
  const srv = await startLocalServer(t, (app) => {
    app.get('/limited', async (_req, reply) => { hits.push(Date.now()); return hits.length === 1 ? reply.code(429).header('retry-after', '1').send('') : { ok: true } })
    app.get('/other', async () => { hits.push(Date.now()); return { ok: true } })
  })
  const limiter = createRateLimiter({ profiles: { default: { ratePerSecond: 1000, burst: 1000 } } })
  const cap = captureLogger()
  const opts = { baseUrl: srv.url, auth: { kind: 'bearer', token: 'abcdef' } as const, logger: cap.logger, limiter }
  const a = createReadOnlyClient(opts)
  const b = createReadOnlyClient(opts)
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const first = a.get('/limited')
  // Wait until the 429 has arrived and paused the bucket.
  while (!cap.entries().some((e) => e.msg === 'atlassian request retrying')) await new Promise((resolve) => setTimeout(resolve, 5))
  await b.get('/other')
  await first
  t.equal(hits.length, 3)
  t.ok((hits[1] as number) - (hits[0] as number) >= 900, 'the other client waited for the pause too')
})

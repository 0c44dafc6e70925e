import t from 'tap'
import { DEFAULT_RETRY, fullJitterDelay, parseRetryAfter, sleep } from '../../../src/connectors/http/backoff.js'

t.test('full jitter: uniform below min(cap, base × 2^n)', async (t) => {
  t.equal(fullJitterDelay(0, 100, 1000, () => 0), 0)
  t.equal(fullJitterDelay(0, 100, 1000, () => 0.5), 50)
  t.equal(fullJitterDelay(3, 100, 1000, () => 0.999), 799)
  t.equal(fullJitterDelay(4, 100, 1000, () => 0.999), 999, 'capped')
  t.equal(fullJitterDelay(500, 100, 1000, () => 0.999), 999, 'huge attempt numbers stay finite')
  for (let n = 0; n < 40; n++) {
    const d = fullJitterDelay(n, DEFAULT_RETRY.baseMs, DEFAULT_RETRY.capMs)
    t.ok(d >= 0 && d < DEFAULT_RETRY.capMs, `attempt ${n}: ${d} ms within the cap`)
  }
})

t.test('Retry-After: delta-seconds, HTTP date, Jira X-RateLimit-Reset fallback', async (t) => {
  const now = Date.parse('2026-11-29T12:00:00Z')
  t.equal(parseRetryAfter('5', undefined, now), 5000)
  t.equal(parseRetryAfter(' 0 ', undefined, now), 0)
  t.equal(parseRetryAfter('1.5', undefined, now), 1500)
  t.equal(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', undefined, now), 30_000)
  t.equal(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', undefined, now), 0, 'a date in the past means now')
  t.equal(parseRetryAfter(undefined, '2026-11-29T12:01Z', now), 60_000)
  t.equal(parseRetryAfter('soon', undefined, now), null)
  t.equal(parseRetryAfter(undefined, undefined, now), null)
  t.equal(parseRetryAfter('-3', undefined, now), null)
})

t.test('sleep resolves after the delay and rejects at once on abort', async (t) => {
  const started = performance.now()
  await sleep(20)
  t.ok(performance.now() - started >= 19)
  const ac = new AbortController()
  const p = sleep(60_000, ac.signal)
  ac.abort(new Error('stop'))
  await t.rejects(p, { message: 'stop' })
  await t.rejects(sleep(10, AbortSignal.abort(new Error('already'))), { message: 'already' })
})

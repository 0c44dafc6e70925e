import t from 'tap'
import { createReadOnlyClient, type ReadOnlyClientOptions } from '../../../src/connectors/http/read-only-client.js'
import { createRateLimiter } from '../../../src/connectors/http/rate-limit.js'
import { isAtlassianHttpError, type AtlassianHttpError } from '../../../src/connectors/http/errors.js'
import { captureLogger, startLocalServer } from './local-server.js'

type Test = { teardown: (fn: () => unknown) => void }

function client (t: Test, baseUrl: string, extra: Partial<ReadOnlyClientOptions> = {}) {
  const c = createReadOnlyClient({
    baseUrl,
    auth: { kind: 'basic', email: 'reader@example.com', token: 'tok-123456' },
    logger: captureLogger().logger,
    retry: { baseMs: 5, capMs: 20 },
    limiter: createRateLimiter({ profiles: { default: { ratePerSecond: 1000, burst: 1000 } } }),
    ...extra
  })
  t.teardown(() => c.close())
  return c
}

async function rejection (p: Promise<unknown>): Promise<AtlassianHttpError> {
  try {
    await p
  } catch (err) {
    if (isAtlassianHttpError(err)) return err
    throw err
  }
  throw new Error('expected a rejection')
}

t.test('GET sends Basic auth, JSON accept and the query, under the base path prefix', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/2.0/repositories/:ws', async (req) => ({ ws: (req.params as { ws: string }).ws, q: req.query }))
  })
  const c = client(t, srv.url + '/2.0/')
  const res = await c.get<{ ws: string, q: Record<string, unknown> }>('/repositories/acme', { state: ['OPEN', 'MERGED'], pagelen: 50, skip: undefined, none: null, flag: true })
  t.equal(res.status, 200)
  t.same(res.body, { ws: 'acme', q: { state: ['OPEN', 'MERGED'], pagelen: '50', flag: 'true' } })
  t.match(res.headers['content-type'], /application\/json/)
  const seen = srv.requests[0]
  t.equal(seen?.method, 'GET')
  t.equal(seen?.headers.authorization, 'Basic ' + Buffer.from('reader@example.com:tok-123456').toString('base64'))
  t.equal(seen?.headers.accept, 'application/json')
  t.match(seen?.headers['user-agent'], /AtlasLens/)
})

t.test('Bearer credentials and a path that already carries a query', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/admin/v1/orgs/o1/events', async (req) => ({ q: req.query }))
  })
  const c = client(t, srv.url + '/admin', { auth: { kind: 'bearer', token: 'org-key-abcdef' } })
  const res = await c.get<{ q: unknown }>('/v1/orgs/o1/events?cursor=abc', { limit: 2 })
  t.same(res.body.q, { cursor: 'abc', limit: '2' })
  t.equal(srv.requests[0]?.headers.authorization, 'Bearer org-key-abcdef')
})

t.test('401, 403, 404 and other 4xx are coded, carry a summary and are never retried', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/401', async (_req, reply) => reply.code(401).send({ errorMessages: ['Bad token tok-123456 for reader@example.com'], errors: {} }))
    app.get('/403', async (_req, reply) => reply.code(403).send({ errors: [{ id: 'x', status: '403', code: 'ADMIN-403-3', title: 'Not allowed to manage the org', detail: 'd' }] }))
    app.get('/404', async (_req, reply) => reply.code(404).send({ type: 'error', error: { message: 'Repository not found' } }))
    app.get('/400', async (_req, reply) => reply.code(400).send({ errorMessages: [], errors: { jql: 'The value is invalid' } }))
    app.get('/500', async (_req, reply) => reply.code(500).send({ message: 'boom' }))
  })
  const c = client(t, srv.url)
  const e401 = await rejection(c.get('/401'))
  t.equal(e401.code, 'ATL_HTTP_AUTH')
  t.equal(e401.details.status, 401)
  t.equal(e401.details.summary, 'Bad token [redacted] for [redacted]', 'secrets echoed by the server are scrubbed')
  t.equal(e401.details.retryable, false)
  const e403 = await rejection(c.get('/403'))
  t.equal(e403.code, 'ATL_HTTP_FORBIDDEN')
  t.equal(e403.details.summary, 'ADMIN-403-3 Not allowed to manage the org d')
  const e404 = await rejection(c.get('/404'))
  t.equal(e404.code, 'ATL_HTTP_NOT_FOUND')
  t.equal(e404.details.summary, 'Repository not found')
  t.equal(e404.details.path, '/404')
  const e400 = await rejection(c.get('/400'))
  t.equal(e400.code, 'ATL_HTTP_CLIENT_ERROR')
  t.equal(e400.details.summary, 'jql: The value is invalid')
  t.equal(srv.requests.length, 4, 'one request each: no retries')
  const strict = client(t, srv.url, { retry: { retryStatuses: [429, 502, 503, 504, 400] } })
  const e500 = await rejection(strict.get('/500'))
  t.equal(e500.code, 'ATL_HTTP_SERVER_ERROR')
  t.equal(e500.details.retryable, true, 'the scheduler may retry a 500 later')
  t.equal(srv.requests.length, 5, 'a 500 outside retryStatuses is not retried')
  t.equal((await rejection(strict.get('/400'))).details.attempts, 1, 'a 4xx is never retried, even if configured')
})

t.test('500, 502, 503 and 504 are retried with back-off until success', async (t) => {
  let n = 0
  const srv = await startLocalServer(t, (app) => {
    app.get('/flaky', async (_req, reply) => {
      n++
      if (n === 1) return reply.code(502).send('bad gateway')
      if (n === 2) return reply.code(503).send({ message: 'unavailable' })
      if (n === 3) return reply.code(504).send('')
      if (n === 4) return reply.code(500).send({ errorMessages: ['Internal server error'] })
      return { ok: true }
    })
  })
  const cap = captureLogger()
  const c = client(t, srv.url, { logger: cap.logger })
  const res = await c.get<{ ok: boolean }>('/flaky')
  t.same(res.body, { ok: true })
  t.equal(srv.requests.length, 5)
  const done = cap.entries().find((e) => e.msg === 'atlassian request')
  t.equal(done?.retries, 4)
  t.equal(cap.entries().filter((e) => e.msg === 'atlassian request retrying').length, 4)
})

t.test('gives up after maxAttempts with a retryable coded error', async (t) => {
  const srv = await startLocalServer(t, (app) => { app.get('/down', async (_req, reply) => reply.code(503).send('')) })
  const c = client(t, srv.url, { retry: { maxAttempts: 3, baseMs: 1, capMs: 5 } })
  const err = await rejection(c.get('/down'))
  t.equal(err.code, 'ATL_HTTP_SERVER_ERROR')
  t.equal(err.details.attempts, 3)
  t.equal(err.details.retryable, true)
  t.equal(srv.requests.length, 3)
})

t.test('Retry-After in seconds is honoured on 429 and 503 (measured at the server)', async (t) => {
  const hits: Record<string, number[]> = { '/429': [], '/503': [] }
  const srv = await startLocalServer(t, (app) => {
    for (const [path, code] of [['/429', 429], ['/503', 503]] as const) {
      app.get(path, async (_req, reply) => {
        hits[path]?.push(Date.now())
        if ((hits[path]?.length ?? 0) === 1) return reply.code(code).header('retry-after', '1').send({ message: 'slow down' })
        return { ok: true }
      })
    }
  })
  // Back-off alone would wait at most 20 ms here: only Retry-After explains a 1 s gap.
  const c = client(t, srv.url)
  await Promise.all([c.get('/429'), c.get('/503')])
  for (const path of ['/429', '/503']) {
    const [first, second] = hits[path] ?? []
    t.ok(first !== undefined && second !== undefined, `${path} retried once`)
    t.ok((second as number) - (first as number) >= 1000, `${path} waited ${(second as number) - (first as number)} ms >= 1000 ms`)
  }
})

t.test('Retry-After as an HTTP date is honoured', async (t) => {
  const hits: number[] = []
  let until = 0
  const srv = await startLocalServer(t, (app) => {
    app.get('/dated', async (_req, reply) => {
      hits.push(Date.now())
      if (hits.length === 1) {
        const date = new Date(Date.now() + 2000)
        until = Math.floor(date.getTime() / 1000) * 1000 // HTTP dates have one-second resolution
        return reply.code(429).header('retry-after', date.toUTCString()).send('')
      }
      return { ok: true }
    })
  })
  const c = client(t, srv.url)
  await c.get('/dated')
  t.equal(hits.length, 2)
  t.ok((hits[1] as number) >= until, `second request at ${hits[1]} not before the Retry-After date ${until}`)
})

t.test('a Retry-After beyond maxRetryAfterMs fails at once with the wait in details', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/long', async (_req, reply) => reply.code(429).header('retry-after', '3600').send({ message: 'Rate limit for this resource has been exceeded' }))
  })
  const c = client(t, srv.url, { retry: { maxRetryAfterMs: 10_000 } })
  const err = await rejection(c.get('/long'))
  t.equal(err.code, 'ATL_HTTP_RATE_LIMITED')
  t.equal(err.details.retryAfterMs, 3_600_000)
  t.equal(err.details.retryable, true)
  t.equal(srv.requests.length, 1)
})

t.test('exponential back-off stays within the cap', async (t) => {
  const srv = await startLocalServer(t, (app) => { app.get('/x', async (_req, reply) => reply.code(502).send('')) })
  const cap = captureLogger()
  const c = client(t, srv.url, { logger: cap.logger, random: () => 0.999, retry: { maxAttempts: 6, baseMs: 10, capMs: 35 } })
  await rejection(c.get('/x'))
  const delays = cap.entries().filter((e) => e.msg === 'atlassian request retrying').map((e) => e.delayMs)
  t.same(delays, [9, 19, 34, 34, 34], 'full jitter ceiling doubles from the base and stops at the cap')
  t.equal(srv.requests.length, 6)
})

t.test('invalid or truncated JSON is retried, then reported with a code', async (t) => {
  let n = 0
  const srv = await startLocalServer(t, (app) => {
    app.get('/once', async (_req, reply) => { n++; return reply.type('application/json').send(n === 1 ? '{"values":[1,2' : '{"values":[1,2]}') })
    app.get('/always', async (_req, reply) => reply.type('application/json').send('<html>proxy error</html>'))
  })
  const c = client(t, srv.url, { retry: { maxAttempts: 2, baseMs: 1, capMs: 2 } })
  const res = await c.get<{ values: number[] }>('/once')
  t.same(res.body, { values: [1, 2] })
  const err = await rejection(c.get('/always'))
  t.equal(err.code, 'ATL_HTTP_INVALID_JSON')
  t.equal(err.details.retryable, true)
  t.equal(err.details.attempts, 2)
})

t.test('an empty 2xx body yields null', async (t) => {
  const srv = await startLocalServer(t, (app) => { app.get('/empty', async (_req, reply) => reply.code(204).send()) })
  const res = await client(t, srv.url).get('/empty')
  t.equal(res.status, 204)
  t.equal(res.body, null)
})

t.test('responses over maxResponseBytes are aborted with a coded error, declared or streamed', async (t) => {
  const big = JSON.stringify({ values: 'x'.repeat(5000) })
  const srv = await startLocalServer(t, (app) => {
    app.get('/declared', async (_req, reply) => reply.type('application/json').send(big))
    app.get('/streamed', (_req, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'application/json' }) // chunked: no content-length
      let i = 0
      const tick = (): void => {
        if (i++ >= 50 || reply.raw.destroyed) { reply.raw.end(); return }
        reply.raw.write('x'.repeat(200))
        setImmediate(tick)
      }
      tick()
    })
  })
  const c = client(t, srv.url, { maxResponseBytes: 1000 })
  for (const path of ['/declared', '/streamed']) {
    const err = await rejection(c.get(path))
    t.equal(err.code, 'ATL_HTTP_RESPONSE_TOO_LARGE', path)
    t.equal(err.details.retryable, false)
  }
  t.equal(srv.requests.length, 2, 'a size failure is not retried')
})

t.test('header and body timeouts are coded and retried', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/slow-headers', async () => { await new Promise((resolve) => setTimeout(resolve, 400)); return { late: true } })
    app.get('/slow-body', (_req, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'application/json' })
      reply.raw.write('{"values":[')
      setTimeout(() => reply.raw.end(']}'), 400)
    })
  })
  const c = client(t, srv.url, { timeouts: { headersMs: 100, bodyMs: 100 }, retry: { maxAttempts: 2, baseMs: 1, capMs: 2 } })
  const h = await rejection(c.get('/slow-headers'))
  t.equal(h.code, 'ATL_HTTP_TIMEOUT')
  t.equal(h.details.retryable, true)
  const b = await rejection(c.get('/slow-body'))
  t.equal(b.code, 'ATL_HTTP_TIMEOUT')
  t.equal(srv.requests.filter((r) => r.url === '/slow-headers').length, 2, 'retried once')
})

t.test('cancellation interrupts a Retry-After wait and an in-flight request', async (t) => {
  const srv = await startLocalServer(t, (app) => {
    app.get('/limited', async (_req, reply) => reply.code(429).header('retry-after', '30').send(''))
  })
  // Another host: the 429 above pauses the whole bucket of srv for 30 s.
  const slow = await startLocalServer(t, (app) => {
    app.get('/stall', async () => { await new Promise((resolve) => setTimeout(resolve, 600)); return {} })
  })
  const cap = captureLogger()
  const c = client(t, srv.url, { logger: cap.logger })
  const cs = client(t, slow.url)
  const until = async (cond: () => boolean): Promise<void> => { while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5)) }
  const ac = new AbortController()
  const started = Date.now()
  // Cancel once the client is asleep on the Retry-After.
  void until(() => cap.entries().some((e) => e.msg === 'atlassian request retrying')).then(() => ac.abort(new Error('sync cancelled')))
  const err = await rejection(c.get('/limited', undefined, { signal: ac.signal }))
  t.equal(err.code, 'ATL_HTTP_ABORTED')
  t.ok(Date.now() - started < 15_000, 'did not sleep through the 30 s Retry-After')
  t.equal(srv.requests.filter((r) => r.url === '/limited').length, 1)

  const ac2 = new AbortController()
  void until(() => slow.requests.length === 1).then(() => ac2.abort()) // the request is in flight
  const err2 = await rejection(cs.get('/stall', undefined, { signal: ac2.signal }))
  t.equal(err2.code, 'ATL_HTTP_ABORTED')
  t.equal(err2.details.retryable, false)

  const err3 = await rejection(cs.get('/stall', undefined, { signal: AbortSignal.abort() }))
  t.equal(err3.code, 'ATL_HTTP_ABORTED', 'an already aborted signal sends nothing')
  t.equal(slow.requests.length, 1)
})

t.test('redirects are not followed', async (t) => {
  const other = await startLocalServer(t, (app) => { app.get('/*', async () => ({ stolen: true })) })
  const srv = await startLocalServer(t, (app) => {
    app.get('/moved', async (_req, reply) => reply.redirect(other.url + '/steal', 302))
  })
  const err = await rejection(client(t, srv.url).get('/moved'))
  t.equal(err.code, 'ATL_HTTP_UNEXPECTED_STATUS')
  t.equal(err.details.status, 302)
  t.equal(other.requests.length, 0)
})

t.test('connection errors are retried and then coded', async (t) => {
  const srv = await startLocalServer(t, () => {})
  const url = srv.url
  await srv.app.close()
  const c = client(t, url, { retry: { maxAttempts: 2, baseMs: 1, capMs: 2 } })
  const err = await rejection(c.get('/anything'))
  t.equal(err.code, 'ATL_HTTP_NETWORK')
  t.equal(err.details.attempts, 2)
  t.equal(err.details.retryable, true)
})

t.test('plain HTTP to a non-loopback host is flagged in the log', async (t) => {
  const cap = captureLogger()
  const c = createReadOnlyClient({ baseUrl: 'http://simulator.internal:8900', auth: { kind: 'bearer', token: 'abcd' }, logger: cap.logger })
  t.teardown(() => c.close())
  t.ok(cap.entries().some((e) => e.level === 40 && /plain HTTP/.test(String(e.msg))))
  const quiet = captureLogger()
  const local = createReadOnlyClient({ baseUrl: 'http://127.0.0.1:9', auth: { kind: 'bearer', token: 'abcd' }, logger: quiet.logger })
  t.teardown(() => local.close())
  t.equal(quiet.lines.length, 0)
})

t.test('invalid options are refused', async (t) => {
  const logger = captureLogger().logger
  t.throws(() => createReadOnlyClient({ baseUrl: 'ftp://x', auth: { kind: 'bearer', token: 'abcd' }, logger }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => createReadOnlyClient({ baseUrl: 'https://u:p@x', auth: { kind: 'bearer', token: 'abcd' }, logger }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => createReadOnlyClient({ baseUrl: 'https://x?a=1', auth: { kind: 'bearer', token: 'abcd' }, logger }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => createReadOnlyClient({ baseUrl: 'https://x', auth: { kind: 'basic', email: '', token: 'abcd' }, logger }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => createReadOnlyClient({ baseUrl: 'https://x', auth: { kind: 'bearer', token: 'ab\ncd' }, logger }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => createReadOnlyClient({ baseUrl: 'https://x', auth: { kind: 'bearer', token: 'abcd' }, logger, retry: { maxAttempts: 0 } }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
})

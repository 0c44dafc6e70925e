import t from 'tap'
import { createReadOnlyClient } from '../../../src/connectors/http/read-only-client.js'
import { createRateLimiter } from '../../../src/connectors/http/rate-limit.js'
import { bitbucketPages, jiraSearchPages } from '../../../src/connectors/http/paging.js'
import type { Credentials } from '../../../src/connectors/http/credentials.js'
import { captureLogger, startLocalServer } from './local-server.js'

const EMAIL = 'secret.person@example.com'
const TOKEN = 'ATATT3xFfGF0-very-secret-token-0123456789'
const ORG_KEY = 'org-api-key-SECRET-abcdefghijklmnop'
const BODY_MARKER = 'BODY-CONTENT-MUST-NOT-BE-LOGGED'

t.test('captured logs of authenticated requests hold no token, Basic value, email, header or body', async (t) => {
  let n = 0
  const srv = await startLocalServer(t, (app) => {
    app.get('/rest/api/3/user/search', async () => [{ accountId: 'a', emailAddress: EMAIL, note: BODY_MARKER }])
    app.get('/rest/api/3/flaky', async (_req, reply) => (++n % 2 === 1 ? reply.code(503).send({ message: BODY_MARKER }) : { ok: BODY_MARKER }))
    app.get('/rest/api/3/denied', async (req, reply) => reply.code(401).send({ errorMessages: [`bad ${String(req.headers.authorization)} ${EMAIL} ${BODY_MARKER}`] }))
    app.post('/rest/api/3/search/jql', async () => ({ issues: [{ key: BODY_MARKER }], isLast: true }))
    app.get('/2.0/repositories/ws', async () => ({ values: [{ name: BODY_MARKER }] }))
  })
  const cap = captureLogger()
  const limiter = createRateLimiter({ profiles: { default: { ratePerSecond: 1000, burst: 1000 }, bitbucket: { ratePerSecond: 1000, burst: 1000 } } })
  const creds: Credentials[] = [{ kind: 'basic', email: EMAIL, token: TOKEN }, { kind: 'bearer', token: ORG_KEY }]
  const thrown: string[] = []
  for (const auth of creds) {
    const c = createReadOnlyClient({ baseUrl: srv.url, auth, logger: cap.logger, limiter, retry: { baseMs: 1, capMs: 2 } })
    t.teardown(() => c.close())
    // Query values that would leak if the query string were logged.
    await c.get('/rest/api/3/user/search', { query: EMAIL, token: TOKEN })
    await c.get('/rest/api/3/flaky')
    try { await c.get('/rest/api/3/denied') } catch (err) { thrown.push(String(err), JSON.stringify(err), (err as Error).message) }
    for await (const page of jiraSearchPages(c, { jql: `reporter = "${EMAIL}"`, method: 'POST' })) t.equal(page.items.length, 1)
    const bb = createReadOnlyClient({ baseUrl: srv.url + '/2.0', auth, logger: cap.logger, limiter })
    t.teardown(() => bb.close())
    for await (const page of bitbucketPages(bb, { path: '/repositories/ws', query: { q: `owner="${EMAIL}"` } })) t.equal(page.items.length, 1)
  }
  const basic = Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')
  const output = cap.lines.join('\n')
  t.ok(cap.lines.length >= 10, `captured ${cap.lines.length} log lines`)
  for (const secret of [TOKEN, ORG_KEY, basic, EMAIL, encodeURIComponent(EMAIL), BODY_MARKER, 'Basic ', 'Bearer ']) {
    t.notOk(output.includes(secret), `logs do not contain ${secret.slice(0, 12)}…`)
    t.notOk(thrown.join('\n').includes(secret) && secret !== BODY_MARKER, `errors do not contain ${secret.slice(0, 12)}…`)
  }
  t.notOk(/authorization/i.test(output), 'no Authorization header in logs')
  t.notOk(output.includes('?'), 'no query strings in logs')

  // What is logged is what an operator needs.
  const done = cap.entries().filter((e) => e.msg === 'atlassian request')
  t.ok(done.length >= 8)
  for (const e of done) {
    t.match(e, { component: 'atlassian-http', method: /^(GET|POST)$/, host: new URL(srv.url).host, path: /^\//, status: 200, durationMs: Number, retries: Number })
  }
  t.ok(done.some((e) => e.path === '/rest/api/3/flaky' && e.retries === 1), 'retry count is logged')
  t.ok(cap.entries().some((e) => e.msg === 'atlassian request failed' && e.status === 401 && e.code === 'ATL_HTTP_AUTH'))
})

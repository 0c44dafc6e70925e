import t from 'tap'
import { createReadOnlyClient, type ReadOnlyClient } from '../../../src/connectors/http/read-only-client.js'
import { READ_ONLY_POST_PATHS, assertReadOnlyPost, parseBaseUrl, resolveTarget, type ReadOnlyPostPath } from '../../../src/connectors/http/read-only-paths.js'
import { createRateLimiter } from '../../../src/connectors/http/rate-limit.js'
import { captureLogger, startLocalServer, type LocalServer } from './local-server.js'

// A server that answers every method on every path and counts what is not a GET.
async function catchAll (t: Parameters<typeof startLocalServer>[0]): Promise<LocalServer> {
  return await startLocalServer(t, (app) => {
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', handler: async () => ({ ok: true }) })
  })
}

function makeClient (t: { teardown: (fn: () => unknown) => void }, baseUrl: string): ReadOnlyClient {
  const c = createReadOnlyClient({
    baseUrl,
    auth: { kind: 'basic', email: 'reader@example.com', token: 'tok-123456' },
    logger: captureLogger().logger,
    retry: { maxAttempts: 1 },
    limiter: createRateLimiter({ profiles: { default: { ratePerSecond: 1000, burst: 1000 } } })
  })
  t.teardown(() => c.close())
  return c
}

async function codeOf (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) { return String((err as { code?: string }).code) }
  return 'resolved'
}

t.test('the allow-list is frozen and holds only read-only searches', async (t) => {
  t.ok(Object.isFrozen(READ_ONLY_POST_PATHS))
  t.same([...READ_ONLY_POST_PATHS].sort(), [
    '/rest/api/3/changelog/bulkfetch', '/rest/api/3/search/jql', '/rest/api/3/worklog/list', '/wiki/api/v2/users-bulk'
  ])
  t.throws(() => { (READ_ONLY_POST_PATHS as unknown as string[]).push('/rest/api/3/issue') })
})

t.test('the client has no method parameter and no way to send a body except postSearch', async (t) => {
  const srv = await catchAll(t)
  const c = makeClient(t, srv.url)
  t.same(Object.keys(c).sort(), ['baseUrl', 'close', 'get', 'logger', 'postSearch'])
  t.ok(Object.isFrozen(c))
  // Whatever a caller smuggles into the options, the request stays a bodiless GET.
  const smuggled = { method: 'DELETE', body: '{"x":1}', headers: { 'x-http-method-override': 'DELETE' } } as unknown as Record<string, never>
  await c.get('/rest/api/3/issue/ABC-1', smuggled, smuggled)
  const seen = srv.requests[0]
  t.equal(seen?.method, 'GET')
  t.equal(seen?.headers['x-http-method-override'], undefined)
  t.equal(seen?.headers['content-length'], undefined)
  t.equal(srv.requests.filter((r) => r.method !== 'GET').length, 0)
  // The types say the same (checked by tsc over test/, never run).
  const typeChecks = (): void => {
    // @ts-expect-error postSearch takes only allow-listed paths
    void c.postSearch('/rest/api/3/issue', {})
    // @ts-expect-error get has no method or body parameter
    void c.get('/x', {}, {}, 'DELETE')
    // @ts-expect-error there is no generic request method
    void c.request('/x', { method: 'DELETE' })
  }
  t.type(typeChecks, 'function')
})

t.test('no write can leave the process: every trick is refused before any I/O', async (t) => {
  const srv = await catchAll(t)
  const other = await catchAll(t)
  const c = makeClient(t, srv.url)
  const port = new URL(srv.url).port
  const postTricks = [
    '/rest/api/3/issue',
    '/rest/api/3/search/jql?jql=x',
    '/rest/api/3/search/jql/',
    '/rest/api/3/search/jql#x',
    '/rest/api/3/search/JQL',
    '/rest/api/3/search/%6Aql',
    '/rest/api/3/search%2Fjql',
    '/rest/api/3/search/jql/../../issue',
    '/rest/api/3/search/./jql',
    '//rest/api/3/search/jql',
    ' /rest/api/3/search/jql',
    '/rest/api/3/search/jql ',
    '/rest/api/3/search/jql;x',
    '/rest/api/3/search/jql\u0000',
    'rest/api/3/search/jql',
    `${srv.url}/rest/api/3/search/jql`,
    `http://localhost:${port}/rest/api/3/search/jql`,
    `${other.url}/rest/api/3/search/jql`,
    '/wiki/api/v2/users-bulk/../../../rest/api/3/issue',
    '/wiki/rest/api/content',
    '',
    '/'
  ]
  for (const path of postTricks) {
    t.equal(await codeOf(c.postSearch(path as ReadOnlyPostPath, { jql: 'x' })), 'ATL_HTTP_WRITE_FORBIDDEN', `POST ${JSON.stringify(path)}`)
  }
  t.equal(await codeOf(c.postSearch(null as unknown as ReadOnlyPostPath, {})), 'ATL_HTTP_WRITE_FORBIDDEN')
  t.equal(await codeOf(c.postSearch('/rest/api/3/search/jql', 'jql=x' as unknown as Record<string, unknown>)), 'ATL_HTTP_INVALID_OPTIONS', 'body must be an object')

  const getTricks: Array<[string, string]> = [
    [`${other.url}/rest/api/3/issue/A-1`, 'ATL_HTTP_CROSS_ORIGIN'],
    [`http://localhost:${port}/x`, 'ATL_HTTP_CROSS_ORIGIN'],
    [`https://127.0.0.1:${port}/x`, 'ATL_HTTP_CROSS_ORIGIN'],
    [`http://user:pw@127.0.0.1:${port}/x`, 'ATL_HTTP_CROSS_ORIGIN'],
    [`${srv.url}@${new URL(other.url).host}/x`, 'ATL_HTTP_CROSS_ORIGIN'],
    [`//${new URL(other.url).host}/x`, 'ATL_HTTP_INVALID_PATH'],
    ['/\\' + new URL(other.url).host + '/x', 'ATL_HTTP_INVALID_PATH'],
    ['/rest/api/3/../../x', 'ATL_HTTP_INVALID_PATH'],
    ['/rest/api/3/%2e%2e/x', 'ATL_HTTP_INVALID_PATH'],
    ['/rest/api/3/%2E%2E%2Fx', 'ATL_HTTP_INVALID_PATH'],
    ['relative/path', 'ATL_HTTP_INVALID_PATH'],
    ['javascript:alert(1)', 'ATL_HTTP_CROSS_ORIGIN'],
    ['file:///etc/passwd', 'ATL_HTTP_CROSS_ORIGIN']
  ]
  for (const [path, code] of getTricks) t.equal(await codeOf(c.get(path)), code, `GET ${JSON.stringify(path)}`)

  t.equal(srv.requests.length, 0, 'nothing reached the server')
  t.equal(other.requests.length, 0, 'nothing reached the other host')

  // The one legitimate POST goes exactly where the allow-list says, with a JSON body.
  const res = await c.postSearch<{ ok: boolean }>('/rest/api/3/search/jql', { jql: 'updated >= -1d', maxResults: 1 })
  t.same(res.body, { ok: true })
  const posts = srv.requests.filter((r) => r.method !== 'GET')
  t.equal(posts.length, 1)
  t.equal(posts[0]?.method, 'POST')
  t.equal(posts[0]?.url, '/rest/api/3/search/jql')
  t.same(posts[0]?.body, { jql: 'updated >= -1d', maxResults: 1 })
})

t.test('a base path prefix cannot be escaped', async (t) => {
  const srv = await catchAll(t)
  const c = makeClient(t, srv.url + '/2.0')
  t.equal(await codeOf(c.get(`${srv.url}/admin/v1/orgs/o/events`)), 'ATL_HTTP_CROSS_ORIGIN', 'same origin, other API')
  t.equal(await codeOf(c.get(`${srv.url}/2.0/../admin/x`)), 'ATL_HTTP_INVALID_PATH')
  t.equal(await codeOf(c.get(`${srv.url}/2.0x/repositories`)), 'ATL_HTTP_CROSS_ORIGIN')
  t.equal(await codeOf(c.get('/../admin/x')), 'ATL_HTTP_INVALID_PATH')
  t.equal(srv.requests.length, 0)
  await c.get(`${srv.url}/2.0/repositories/ws?page=2`)
  await c.get('/repositories/ws')
  t.same(srv.requests.map((r) => r.url), ['/2.0/repositories/ws?page=2', '/2.0/repositories/ws'])
})

t.test('path helpers', async (t) => {
  const base = parseBaseUrl('https://api.atlassian.com/ex/jira/11111111-2222-3333-4444-555555555555/')
  t.equal(base.prefix, '/ex/jira/11111111-2222-3333-4444-555555555555')
  t.equal(resolveTarget(base, '/rest/api/3/search/jql?jql=a%3Db').href,
    'https://api.atlassian.com/ex/jira/11111111-2222-3333-4444-555555555555/rest/api/3/search/jql?jql=a%3Db')
  t.throws(() => resolveTarget(base, 'https://api.atlassian.com/ex/confluence/x/wiki'), { code: 'ATL_HTTP_CROSS_ORIGIN' })
  t.throws(() => resolveTarget(base, 'https://acme.atlassian.net/rest/api/3/x'), { code: 'ATL_HTTP_CROSS_ORIGIN' })
  t.doesNotThrow(() => assertReadOnlyPost('/wiki/api/v2/users-bulk'))
  t.throws(() => assertReadOnlyPost('/wiki/api/v2/pages'), { code: 'ATL_HTTP_WRITE_FORBIDDEN' })
})

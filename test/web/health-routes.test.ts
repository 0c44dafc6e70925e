// Health probes are public and say nothing beyond ok / ready.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { buildTestApp, testConfig } from '../helpers/build-test-app.js'

t.test('/healthz answers 200 with no details', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ url: '/healthz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
  t.ok(res.headers['x-request-id'])
  t.match(String(res.headers['content-security-policy']), /script-src 'self'/)
})

t.test('/readyz pings the database and reports not ready when it cannot', async (t) => {
  const app = await buildTestApp(t)
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
  await app.mongo.client.close()
  const down = await app.inject({ url: '/readyz' })
  t.equal(down.statusCode, 503)
  t.same(down.json(), { status: 'not ready' })
})

t.test('without ATLASLENS_MONGODB_URI the app runs its own embedded store under the data dir', async (t) => {
  const config = testConfig({ mongodbUri: null })
  const app = await buildApp(config)
  t.teardown(() => app.close())
  await app.ready()
  t.equal(app.mongo.embedded, true)
  const res = await app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 200)
})

t.test('static assets are served publicly with the vendored htmx', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ url: '/assets/htmx.min.js' })
  t.equal(res.statusCode, 200)
  t.match(res.body, /htmx/)
  const css = await app.inject({ url: '/assets/app.css' })
  t.equal(css.statusCode, 200)
})

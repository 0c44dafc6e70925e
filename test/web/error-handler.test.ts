// The one error handler renders coded errors as a page, an htmx fragment or JSON; 5xx details stay hidden.
import t from 'tap'
import Fastify from 'fastify'
import createError from '@fastify/error'
import configPlugin from '../../src/config/config-plugin.js'
import viewPlugin from '../../src/web/view-plugin.js'
import { registerErrorHandlers } from '../../src/web/error-handler.js'
import { testConfig } from '../helpers/test-config.js'

const Teapot = createError('ATL_TEST_CONFLICT', 'Sync for %s is already running', 409)

async function buildErrorApp () {
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config: testConfig() })
  await app.register(viewPlugin, { production: true })
  registerErrorHandlers(app)
  app.get('/conflict', async () => { throw new Teapot('<script>x</script>') })
  app.get('/api/v1/conflict', async () => { throw new Teapot('jira-audit') })
  app.get('/boom', async () => { throw new Error('database password is hunter2') })
  app.get('/api/v1/boom', async () => { throw new Error('internal detail') })
  app.post('/validated', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  return app
}

t.test('a 4xx coded error as an HTML page shows its (escaped) message', async (t) => {
  const app = await buildErrorApp()
  const res = await app.inject({ url: '/conflict', headers: { accept: 'text/html' } })
  t.equal(res.statusCode, 409)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /<html/)
  t.match(res.body, /Sync for &lt;script&gt;x&lt;\/script&gt; is already running/)
  t.notMatch(res.body, /<script>x<\/script>/)
  t.match(res.body, new RegExp(String(res.headers['x-request-id'] ?? '') || 'Request id'))
})

t.test('the same error for htmx is a fragment, retargeted to the flash area', async (t) => {
  const app = await buildErrorApp()
  const res = await app.inject({ url: '/conflict', headers: { 'hx-request': 'true' } })
  t.equal(res.statusCode, 409)
  t.notMatch(res.body, /<html/)
  t.match(res.body, /class="alert alert-error"/)
  t.equal(res.headers['hx-retarget'], '#flash')
  t.match(String(res.headers.vary), /HX-Request/)
})

t.test('JSON for the API and for clients that ask for it', async (t) => {
  const app = await buildErrorApp()
  const api = await app.inject({ url: '/api/v1/conflict' })
  t.equal(api.statusCode, 409)
  t.same(api.json().error.code, 'ATL_TEST_CONFLICT')
  t.equal(api.json().error.message, 'Sync for jira-audit is already running')
  const accept = await app.inject({ url: '/conflict', headers: { accept: 'application/json' } })
  t.equal(accept.json().error.status, 409)
})

t.test('5xx messages are hidden in every form', async (t) => {
  const app = await buildErrorApp()
  const page = await app.inject({ url: '/boom', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 500)
  t.notMatch(page.body, /hunter2/)
  t.match(page.body, /Something went wrong on our side/)
  const api = await app.inject({ url: '/api/v1/boom' })
  t.equal(api.statusCode, 500)
  t.equal(api.json().error.code, 'ATL_INTERNAL')
  t.notMatch(api.body, /internal detail/)
  const frag = await app.inject({ url: '/boom', headers: { 'hx-request': 'true' } })
  t.notMatch(frag.body, /hunter2|<html/)
})

t.test('schema validation failures are 400 with a clear message', async (t) => {
  const app = await buildErrorApp()
  const res = await app.inject({ method: 'POST', url: '/validated', payload: { n: 'many' }, headers: { accept: 'application/json' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'ATL_VALIDATION')
  t.match(res.json().error.message, /must be integer/)
})

t.test('unknown paths are 404 in the asked-for form', async (t) => {
  const app = await buildErrorApp()
  const html = await app.inject({ url: '/nope?x=1', headers: { accept: 'text/html' } })
  t.equal(html.statusCode, 404)
  t.match(html.body, /Not found: \/nope/)
  const json = await app.inject({ url: '/api/v1/nope' })
  t.equal(json.statusCode, 404)
  t.equal(json.json().error.code, 'ATL_NOT_FOUND')
})

// Every registered route, collected by an onRoute hook while the real app is built, must reject an anonymous
// request unless it is on the explicit public list. A route added later is covered without touching this file.
import t from 'tap'
import type { FastifyInstance, RouteOptions } from 'fastify'
import Fastify from 'fastify'
import { isPublicRoute, PUBLIC_ROUTES } from '../../src/auth/public-routes.js'
import { SESSION_COOKIE } from '../../src/auth/session-cookie.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { testConfig } from '../helpers/test-config.js'

interface SeenRoute { method: string, url: string }

t.test('every non-public route rejects anonymous requests', async (t) => {
  const seen: SeenRoute[] = []
  // app.ts creates its own Fastify instance: hand it one that records routes from the very first registration.
  const recordingFastify = ((opts: unknown) => {
    const app = (Fastify as unknown as (o: unknown) => FastifyInstance)(opts)
    app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of ([] as string[]).concat(route.method)) seen.push({ method, url: route.url })
    })
    return app
  }) as unknown as typeof Fastify
  const { buildApp } = await t.mockImport<typeof import('../../src/app.js')>('../../src/app.js', {
    fastify: Object.assign(recordingFastify, { default: recordingFastify })
  })
  const mongo = await startTestMongo(t)
  const app = await buildApp(testConfig({ mongodbUri: mongo.uri, dbName: mongo.dbName }))
  t.teardown(async () => { await app.close() })
  await app.ready()

  const urls = new Set(seen.map((r) => r.url))
  for (const known of ['/login', '/healthz', '/api/v1/me', '/api/v1/auth/token', '/logout', '/logout-everywhere', '/operator-log', '/']) {
    t.ok(urls.has(known), `inventory saw ${known}`)
  }

  t.test('the public list is exactly what it should be', async (t) => {
    t.same([...PUBLIC_ROUTES].sort(), [
      'GET /favicon.ico', 'GET /healthz', 'GET /login', 'GET /readyz',
      'HEAD /favicon.ico', 'HEAD /healthz', 'HEAD /login', 'HEAD /readyz',
      'POST /api/v1/auth/token', 'POST /login'
    ].sort())
    const publicSeen = seen.filter((r) => isPublicRoute(r.method, r.url)).map((r) => `${r.method} ${r.url}`)
    for (const p of publicSeen) t.ok(PUBLIC_ROUTES.has(p) || p.includes(' /assets/'), `public: ${p}`)
  })

  const gated = seen.filter((r) => !isPublicRoute(r.method, r.url))
  t.ok(gated.length >= 6, `${gated.length} gated routes found`)

  for (const route of gated) {
    t.test(`${route.method} ${route.url}`, async (t) => {
      // Fill path parameters and wildcards with harmless sample values.
      const url = route.url.replace(/:[A-Za-z0-9_]+/g, 'sample1').replace(/\*/g, 'sample')
      const method = route.method as 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'
      const withBody = !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(method)
      const variants: Array<[string, Record<string, string>]> = [
        ['anonymous', {}],
        ['forged cookie', { cookie: `${SESSION_COOKIE}=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.` }],
        ['forged bearer', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }]
      ]
      for (const [name, headers] of variants) {
        const res = await app.inject({ method, url, headers, ...(withBody ? { payload: {} } : {}) })
        if (url.startsWith('/api/')) {
          t.equal(res.statusCode, 401, `${name}: 401`)
          if (method !== 'HEAD') t.equal(res.json().error.code, 'ATL_NOT_AUTHENTICATED')
        } else {
          t.equal(res.statusCode, method === 'GET' || method === 'HEAD' ? 302 : 303, `${name}: redirected`)
          t.match(res.headers.location, /^\/login(\?next=|$)/, `${name}: to the login page`)
        }
      }
      if (!url.startsWith('/api/')) {
        const htmx = await app.inject({ method, url, headers: { 'hx-request': 'true' }, ...(withBody ? { payload: {} } : {}) })
        t.equal(htmx.statusCode, 401, 'htmx: 401')
        t.match(htmx.headers['hx-redirect'], /^\/login/, 'htmx: HX-Redirect to login')
      }
    })
  }
})

// The attacks from issue 4's "Done when", each against the real app and store.
import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helpers/build-test-app.js'
import { type AdminSession, createAdmin, loginAs, loginForm, setCookies } from '../helpers/inject-as-admin.js'
import { SESSION_COOKIE } from '../../src/auth/session-cookie.js'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function signJwt (header: Record<string, unknown>, payload: Record<string, unknown>, secret: string, hash = 'sha256'): string {
  const data = `${b64(header)}.${b64(payload)}`
  return `${data}.${createHmac(hash, secret).update(data).digest('base64url')}`
}

async function claimsFor (app: FastifyInstance, username: string): Promise<{ sub: string, ver: number }> {
  const admin = await app.admins.findByUsername(username)
  if (admin === null) throw new Error('no such admin')
  return { sub: admin._id.toHexString(), ver: admin.token_version }
}

const now = (): number => Math.floor(Date.now() / 1000)

t.test('gate and sessions', async (t) => {
  const app = await buildTestApp(t)
  const alice = await loginAs(app, 'alice', 'alice-password-123')
  const secret = app.config.jwtSecret

  const asCookie = (token: string) => ({ cookie: `${SESSION_COOKIE}=${token}` })
  const asBearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const sessionToken = alice.cookie.split(';')[0]?.split('=')[1] as string

  t.test('valid cookie and valid Bearer are accepted', async (t) => {
    t.equal((await app.inject({ url: '/', headers: { cookie: alice.cookie } })).statusCode, 200)
    const me = await app.inject({ url: '/api/v1/me', headers: asBearer(alice.bearer) })
    t.equal(me.statusCode, 200)
    t.equal(me.json().username, 'alice')
    t.ok(Date.parse(me.json().token_expires_at) > Date.now())
    const meByCookie = await app.inject({ url: '/api/v1/me', headers: { cookie: alice.cookie } })
    t.equal(meByCookie.json().username, 'alice')
  })

  t.test('no credentials: page redirects to login with next, API gets 401 JSON, htmx gets HX-Redirect', async (t) => {
    const page = await app.inject({ url: '/operator-log?page=2' })
    t.equal(page.statusCode, 302)
    t.equal(page.headers.location, '/login?next=%2Foperator-log%3Fpage%3D2')
    const api = await app.inject({ url: '/api/v1/me' })
    t.equal(api.statusCode, 401)
    t.equal(api.json().error.code, 'ATL_NOT_AUTHENTICATED')
    t.equal(api.headers['www-authenticate'], 'Bearer')
    const htmx = await app.inject({ url: '/operator-log', headers: { 'hx-request': 'true', 'hx-current-url': 'http://localhost/operator-log?action=login' } })
    t.equal(htmx.statusCode, 401)
    t.equal(htmx.headers['hx-redirect'], '/login?next=%2Foperator-log%3Faction%3Dlogin')
    t.equal(htmx.body, '')
    const post = await app.inject({ method: 'POST', url: '/logout', payload: {} })
    t.equal(post.statusCode, 303)
    t.equal(post.headers.location, '/login')
  })

  t.test('path tricks do not reach gated content anonymously', async (t) => {
    for (const url of ['/assets/../operator-log', '/assets/%2e%2e/operator-log', '/login/../operator-log', '//operator-log',
      '/OPERATOR-LOG', '/operator-log/', '/operator-log;x', '/healthz/../operator-log', '/api/v1/me/', '/API/v1/me']) {
      const res = await app.inject({ url })
      t.not(res.statusCode, 200, url)
      t.notMatch(res.body, 'Operator log</h1>', url)
      t.notMatch(res.body, '"username"', url)
    }
  })

  const forged: Array<[string, () => Promise<string>]> = [
    ['expired token', async () => signJwt({ alg: 'HS256', typ: 'JWT' }, { ...await claimsFor(app, 'alice'), iat: now() - 7200, exp: now() - 60 }, secret)],
    ['tampered signature', async () => sessionToken.slice(0, -4) + (sessionToken.endsWith('AAAA') ? 'BBBB' : 'AAAA')],
    ['tampered payload', async () => {
      const [h, , s] = sessionToken.split('.')
      return `${h}.${b64({ ...await claimsFor(app, 'alice'), ver: 99, exp: now() + 3600 })}.${s}`
    }],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...await claimsFor(app, 'alice'), exp: now() + 3600 })}.`],
    ['alg none with a signature', async () => signJwt({ alg: 'none', typ: 'JWT' }, { ...await claimsFor(app, 'alice'), exp: now() + 3600 }, secret)],
    ['HS512 with the right secret', async () => signJwt({ alg: 'HS512', typ: 'JWT' }, { ...await claimsFor(app, 'alice'), exp: now() + 3600 }, secret, 'sha512')],
    ['another secret', async () => signJwt({ alg: 'HS256', typ: 'JWT' }, { ...await claimsFor(app, 'alice'), exp: now() + 3600 }, randomBytes(32).toString('hex'))],
    ['no expiry', async () => signJwt({ alg: 'HS256', typ: 'JWT' }, await claimsFor(app, 'alice'), secret)],
    ['unknown admin id', async () => signJwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'a'.repeat(24), ver: 0, exp: now() + 3600 }, secret)],
    ['garbage', async () => 'not-a-token']
  ]
  for (const [name, make] of forged) {
    t.test(`rejected: ${name}`, async (t) => {
      const token = await make()
      const page = await app.inject({ url: '/', headers: asCookie(token) })
      t.equal(page.statusCode, 302, 'cookie: redirected')
      t.match(page.headers['set-cookie'], new RegExp(`${SESSION_COOKIE}=;`), 'the bad cookie is cleared')
      const api = await app.inject({ url: '/api/v1/me', headers: asBearer(token) })
      t.equal(api.statusCode, 401, 'bearer: 401')
    })
  }

  t.test('a correctly signed control token is accepted (the forgeries fail for their flaw alone)', async (t) => {
    const token = signJwt({ alg: 'HS256', typ: 'JWT' }, { ...await claimsFor(app, 'alice'), iat: now(), exp: now() + 3600 }, secret)
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(token) })).statusCode, 200)
  })

  t.test('a malformed Authorization header does not fall back to the cookie', async (t) => {
    const res = await app.inject({ url: '/api/v1/me', headers: { cookie: alice.cookie, authorization: 'Basic YWxpY2U6eA==' } })
    t.equal(res.statusCode, 401)
  })

  t.test('disabled admin: existing tokens stop working, and sign-in fails generically', async (t) => {
    const bob = await loginAs(app, 'bob', 'bob-password-1234')
    // Flip only the flag (not the token version) to prove the gate checks it.
    await app.mongo.db.collection('admins').updateOne({ username_key: 'bob' }, { $set: { disabled: true } })
    t.equal((await app.inject({ url: '/', headers: { cookie: bob.cookie } })).statusCode, 302)
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(bob.bearer) })).statusCode, 401)
    const token = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'bob', password: 'bob-password-1234' } })
    t.equal(token.statusCode, 401)
    t.equal(token.json().error.message, 'Invalid username or password.')
  })

  t.test('log out everywhere revokes every cookie and Bearer token of that admin only', async (t) => {
    const carol1 = await loginAs(app, 'carol', 'carol-password-12')
    const carol2 = await loginAs(app, 'carol', 'carol-password-12')
    const res = await app.inject({
      method: 'POST', url: '/logout-everywhere', headers: { cookie: carol1.cookie }, payload: { _csrf: carol1.csrfToken }
    })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/login')
    for (const s of [carol1, carol2]) {
      t.equal((await app.inject({ url: '/', headers: { cookie: s.cookie } })).statusCode, 302)
      t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(s.bearer) })).statusCode, 401)
    }
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(alice.bearer) })).statusCode, 200, 'other admins unaffected')
    const fresh = await loginAs(app, 'carol', 'carol-password-12')
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(fresh.bearer) })).statusCode, 200, 'a new sign-in works')
  })

  t.test('plain logout clears the cookie and leaves other sessions alone', async (t) => {
    const dave1 = await loginAs(app, 'dave', 'dave-password-12')
    const dave2 = await loginAs(app, 'dave', 'dave-password-12')
    const res = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: dave1.cookie }, payload: { _csrf: dave1.csrfToken } })
    t.equal(res.statusCode, 303)
    t.match(res.headers['set-cookie'], new RegExp(`${SESSION_COOKIE}=;`))
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(dave2.bearer) })).statusCode, 200)
  })

  t.test('CSRF: cookie-authenticated POSTs need the token; Bearer POSTs do not', async (t) => {
    const erin = await loginAs(app, 'erin', 'erin-password-12')
    const none = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: erin.cookie }, payload: {} })
    t.equal(none.statusCode, 403)
    const wrong = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: erin.cookie }, payload: { _csrf: 'x'.repeat(52) } })
    t.equal(wrong.statusCode, 403)
    const otherSecret = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: erin.cookie }, payload: { _csrf: alice.csrfToken } })
    t.equal(otherSecret.statusCode, 403, 'a token minted for another CSRF secret is refused')
    const everywhere = await app.inject({ method: 'POST', url: '/logout-everywhere', headers: { cookie: erin.cookie }, payload: {} })
    t.equal(everywhere.statusCode, 403)
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(erin.bearer) })).statusCode, 200, 'CSRF-less POST changed nothing')
    const htmx = await app.inject({
      method: 'POST', url: '/logout', headers: { cookie: erin.cookie, 'x-csrf-token': erin.csrfToken, 'hx-request': 'true' }, payload: {}
    })
    t.equal(htmx.statusCode, 303, 'header token accepted (htmx hx-headers)')
    const bearer = await app.inject({ method: 'POST', url: '/logout-everywhere', headers: asBearer(erin.bearer), payload: {} })
    t.equal(bearer.statusCode, 303, 'Bearer request needs no CSRF token')
    t.equal((await app.inject({ url: '/api/v1/me', headers: asBearer(erin.bearer) })).statusCode, 401)
  })

  t.test('CSRF on the login form itself', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', payload: { username: 'alice', password: 'alice-password-123' } })
    t.equal(res.statusCode, 403)
    t.notOk(setCookies(res)[SESSION_COOKIE])
  })

  t.test('open redirects: only same-origin paths survive next=', async (t) => {
    const evil = ['//evil.example', '/\\evil.example', 'https://evil.example/', 'http:evil.example', '/%2F%2Fevil.example',
      '%2F%2Fevil.example', '/%5Cevil.example', '/%252F%252Fevil.example', '/\t/evil.example', 'javascript:alert(1)',
      '\\\\evil.example', '/login?next=//evil.example']
    for (const next of evil) {
      const res = await app.inject({ url: `/login?next=${encodeURIComponent(next)}`, headers: { cookie: alice.cookie } })
      t.equal(res.statusCode, 302, next)
      t.equal(res.headers.location, '/', `${JSON.stringify(next)} → /`)
    }
    const ok = await app.inject({ url: `/login?next=${encodeURIComponent('/operator-log?page=2')}`, headers: { cookie: alice.cookie } })
    t.equal(ok.headers.location, '/operator-log?page=2')

    // Through the form as well, once each for a hostile and a friendly value.
    for (const [next, expected] of [['//evil.example/x', '/'], ['/operator-log', '/operator-log']] as const) {
      const form = await loginForm(app)
      const res = await app.inject({
        method: 'POST', url: '/login', headers: { cookie: form.csrfCookie },
        payload: { username: 'alice', password: 'alice-password-123', next, _csrf: form.csrfToken }
      })
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, expected)
    }
  })

  t.test('login page: one generic failure message, rendered escaped', async (t) => {
    const bodies: string[] = []
    for (const [username, password] of [['alice', 'wrong-password-xx'], ['nobody-here', 'wrong-password-xx']]) {
      const form = await loginForm(app, '10.9.9.9')
      const res = await app.inject({
        method: 'POST', url: '/login', remoteAddress: '10.9.9.9', headers: { cookie: form.csrfCookie },
        payload: { username, password, _csrf: form.csrfToken, next: '/"><script>x</script>' }
      })
      t.equal(res.statusCode, 401)
      t.notOk(setCookies(res)[SESSION_COOKIE])
      t.match(res.body, 'Invalid username or password.')
      t.notMatch(res.body, '<script>x')
      bodies.push(res.body.replace(/value="[^"]{30,}"/g, 'value="TOKEN"'))
    }
    t.equal(bodies[0], bodies[1], 'unknown user and wrong password give the same page')
  })

  t.test('session cookie attributes', async (t) => {
    const form = await loginForm(app)
    const res = await app.inject({
      method: 'POST', url: '/login', headers: { cookie: form.csrfCookie },
      payload: { username: 'alice', password: 'alice-password-123', _csrf: form.csrfToken }
    })
    const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? ''
    t.match(header, /; HttpOnly/)
    t.match(header, /; SameSite=Strict/)
    t.match(header, /; Path=\//)
    t.match(header, /; Secure/)
    t.match(header, /; Max-Age=28800/)
    const token = setCookies(res)[SESSION_COOKIE] as string
    const header0 = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())
    t.equal(header0.alg, 'HS256')
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
    t.equal(payload.exp - payload.iat, 28800)
    t.notOk('username' in payload || 'password' in payload, 'the token carries ids, not credentials')
  })

  t.test('API token endpoint', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'ALICE', password: 'alice-password-123' } })
    t.equal(res.statusCode, 200, 'usernames are case-insensitive')
    t.notOk(res.headers['set-cookie'], 'no cookie for scripts')
    t.ok(Date.parse(res.json().expires_at) > Date.now())
    const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'alice' } })
    t.equal(bad.statusCode, 400)
    const form = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: 'username=alice&password=alice-password-123', headers: { 'content-type': 'text/plain' } })
    t.equal(form.statusCode, 400, 'a cross-site text/plain form post is refused by the body schema')
  })

  t.test('no registration routes exist', async (t) => {
    const session: AdminSession = alice
    for (const url of ['/register', '/signup', '/sign-up', '/api/v1/register', '/api/v1/signup', '/api/v1/users', '/admins', '/api/v1/admins']) {
      const cookie = await app.inject({ method: 'POST', url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, payload: { username: 'mallory', password: 'mallory-password' } })
      t.equal(cookie.statusCode, 404, `POST ${url} (cookie)`)
      const bearer = await app.inject({ method: 'POST', url, headers: asBearer(session.bearer), payload: { username: 'mallory', password: 'mallory-password' } })
      t.equal(bearer.statusCode, 404, `POST ${url} (bearer)`)
      const get = await app.inject({ url, headers: { cookie: session.cookie } })
      t.equal(get.statusCode, 404, `GET ${url}`)
      const anonymous = await app.inject({ method: 'POST', url, payload: { username: 'mallory', password: 'mallory-password' } })
      t.ok([303, 401, 404].includes(anonymous.statusCode), `anonymous POST ${url} is not served (${anonymous.statusCode})`)
    }
    t.equal(await app.admins.findByUsername('mallory'), null)
  })
})

t.test('cookieSecure=false drops only the Secure attribute', async (t) => {
  const app = await buildTestApp(t, { cookieSecure: false, sessionTtlSeconds: 3600 })
  await createAdmin(app, 'frank', 'frank-password-12')
  const form = await loginForm(app)
  const res = await app.inject({
    method: 'POST', url: '/login', headers: { cookie: form.csrfCookie },
    payload: { username: 'frank', password: 'frank-password-12', _csrf: form.csrfToken }
  })
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? ''
  t.match(header, /; HttpOnly/)
  t.match(header, /; SameSite=Strict/)
  t.match(header, /; Max-Age=3600/)
  t.notMatch(header, /Secure/)
})

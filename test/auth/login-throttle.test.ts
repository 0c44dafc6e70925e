// Brute force: per-username and per-IP failure limits on POST /login and POST /api/v1/auth/token, answering 429
// with Retry-After, identically for existing and unknown usernames.
import t from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'
import { createAdmin, loginForm } from '../helpers/inject-as-admin.js'
import { DEFAULT_LOGIN_LIMITS } from '../../src/auth/login-throttle.js'

t.test('login throttling', async (t) => {
  const app = await buildTestApp(t)
  await createAdmin(app, 'grace', 'grace-password-12')

  async function formLogin (username: string, password: string, ip: string) {
    const form = await loginForm(app, ip)
    return app.inject({
      method: 'POST', url: '/login', remoteAddress: ip, headers: { cookie: form.csrfCookie },
      payload: { username, password, _csrf: form.csrfToken }
    })
  }

  t.test('per username: failures count (successes do not); then 429 + Retry-After, even with the right password', async (t) => {
    const limit = DEFAULT_LOGIN_LIMITS.perUsername
    // Each attempt from a different IP, so only the username limit can trigger.
    for (let i = 0; i < limit - 1; i++) {
      const res = await formLogin('grace', `wrong-password-${i}`, `10.1.0.${i + 1}`)
      t.equal(res.statusCode, 401, `failure ${i + 1}: 401`)
    }
    for (let i = 0; i < 2; i++) {
      const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: `10.1.1.${i + 1}`, payload: { username: 'grace', password: 'grace-password-12' } })
      t.equal(ok.statusCode, 200, 'a success in between is not counted')
    }
    const last = await formLogin('grace', 'wrong-password-last', '10.1.0.99')
    t.equal(last.statusCode, 401, `failure ${limit}: still 401`)
    const blocked = await formLogin('grace', 'wrong-password-x', '10.1.0.100')
    t.equal(blocked.statusCode, 429)
    t.match(blocked.body, 'Too many failed sign-in attempts')
    const retryAfter = Number(blocked.headers['retry-after'])
    t.ok(retryAfter > 0 && retryAfter <= DEFAULT_LOGIN_LIMITS.windowMs / 1000, `Retry-After ${retryAfter}`)
    const right = await formLogin('grace', 'grace-password-12', '10.1.0.101')
    t.equal(right.statusCode, 429, 'the right password does not get through while throttled')
    const viaApi = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: '10.1.0.102', payload: { username: 'GRACE', password: 'grace-password-12' } })
    t.equal(viaApi.statusCode, 429, 'the API shares the limit (case-insensitively)')
    t.equal(viaApi.json().error.code, 'ATL_TOO_MANY_ATTEMPTS')
    t.ok(Number(viaApi.headers['retry-after']) > 0)
  })

  t.test('an unknown username is throttled the same way (no existence oracle)', async (t) => {
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.perUsername; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: `10.2.0.${i + 1}`, payload: { username: 'ghost', password: `wrong-password-${i}` } })
      t.equal(res.statusCode, 401)
      t.equal(res.json().error.code, 'ATL_LOGIN_FAILED')
    }
    const blocked = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: '10.2.0.100', payload: { username: 'ghost', password: 'whatever-password' } })
    t.equal(blocked.statusCode, 429)
    t.ok(Number(blocked.headers['retry-after']) > 0)
  })

  t.test('per IP: many usernames from one address', async (t) => {
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.perIp; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: '10.3.0.1', payload: { username: `user-${i}`, password: 'wrong-password-xx' } })
      t.equal(res.statusCode, 401)
    }
    const blocked = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: '10.3.0.1', payload: { username: 'fresh-name', password: 'wrong-password-xx' } })
    t.equal(blocked.statusCode, 429)
    t.ok(Number(blocked.headers['retry-after']) > 0)
    const otherIp = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: '10.3.0.2', payload: { username: 'fresh-name', password: 'wrong-password-xx' } })
    t.equal(otherIp.statusCode, 401, 'another address is unaffected')
  })
})

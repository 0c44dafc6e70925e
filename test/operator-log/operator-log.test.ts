// The operator log: append-only admin_audit with a one-year TTL, what sign-in activity writes to it, the page,
// and that neither it nor the application log ever holds a password or token.
import { Writable } from 'node:stream'
import t from 'tap'
import { pino } from 'pino'
import { buildTestApp } from '../helpers/build-test-app.js'
import { createAdmin, loginAs, loginForm } from '../helpers/inject-as-admin.js'
import { createOperatorLogRepository, OPERATOR_LOG_COLLECTION } from '../../src/operator-log/operator-log-repository.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { loggerOptions } from '../../src/logging/logger-options.js'

t.test('repository: append-only, TTL, newest first, filters, pages', async (t) => {
  const mongo = await startTestMongo(t)
  const log = createOperatorLogRepository(mongo.db)
  await log.ensureIndexes()
  t.same(Object.keys(log).sort(), ['ensureIndexes', 'list', 'record'], 'no update or delete path exists')

  const indexes = await mongo.db.collection(OPERATOR_LOG_COLLECTION).listIndexes().toArray()
  const ttl = indexes.find((i) => i.name === 'at_ttl')
  t.match(ttl, { key: { at: 1 }, expireAfterSeconds: 31_536_000 }, 'one-year TTL on the time field')

  const base = Date.UTC(2026, 0, 1)
  for (let i = 0; i < 7; i++) {
    await log.record({ action: i % 2 === 0 ? 'login' : 'export', username: i < 5 ? 'Ann' : 'bob', ip: '10.0.0.1', outcome: 'success', details: { n: i } }, new Date(base + i * 1000))
  }
  const first = await log.list({ pageSize: 3 })
  t.same(first.entries.map((e) => e.details.n), [6, 5, 4], 'newest first')
  t.equal(first.hasMore, true)
  const third = await log.list({ pageSize: 3, page: 3 })
  t.same(third.entries.map((e) => e.details.n), [0])
  t.equal(third.hasMore, false)
  t.same((await log.list({ action: 'export' })).entries.map((e) => e.details.n), [5, 3, 1])
  t.same((await log.list({ username: 'ANN', action: 'login' })).entries.map((e) => e.details.n), [4, 2, 0], 'username filter is case-insensitive')

  await t.rejects(log.record({ action: 'Drop Table', username: null, ip: null, outcome: 'failure' }), { code: 'ATL_OPERATOR_LOG_INVALID' })
  await log.record({ action: 'export', username: 'Ann', ip: null, outcome: 'success', details: { note: 'x'.repeat(1000) } })
  t.equal((await log.list({ pageSize: 1 })).entries[0]?.details.note?.toString().length, 300, 'detail strings are capped')
})

t.test('sign-in activity, views and the page', async (t) => {
  const lines: string[] = []
  const capture = new Writable({ write (chunk, _enc, cb) { lines.push(chunk.toString()); cb() } })
  const logger = pino({ ...loggerOptions('trace'), level: 'trace' }, capture)
  const app = await buildTestApp(t, { logLevel: 'trace' }, { loggerInstance: logger })
  const password = 'ivan-password-123'
  const typedIntoUsername = 'my-Secret-Passw0rd!'
  await createAdmin(app, 'ivan', password)
  const session = await loginAs(app, 'ivan', password, { create: false })
  const issued = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'ivan', password } })
  t.equal(issued.statusCode, 200)
  const apiToken = (issued.json() as { token: string }).token

  // A failed sign-in for an existing name, and one where a password was typed into the username field.
  for (const [username, pw] of [['ivan', 'wrong-password-1'], [typedIntoUsername, 'wrong-password-2']]) {
    const form = await loginForm(app)
    const res = await app.inject({ method: 'POST', url: '/login', headers: { cookie: form.csrfCookie }, payload: { username, password: pw, _csrf: form.csrfToken } })
    t.equal(res.statusCode, 401)
  }
  t.equal((await app.inject({ url: '/?q=someone@example.com', headers: { cookie: session.cookie } })).statusCode, 200)
  // An immediate re-read of the same URL (a poll, a reload) is not recorded again.
  t.equal((await app.inject({ url: '/?q=someone@example.com', headers: { cookie: session.cookie, 'hx-request': 'true' } })).statusCode, 200)
  await app.operatorLog.record({ action: 'export', username: 'ivan', ip: '127.0.0.1', outcome: 'success', details: { format: 'csv', rows: 12 } })
  const logout = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: session.cookie }, payload: { _csrf: session.csrfToken } })
  t.equal(logout.statusCode, 303)

  const entries = (await app.operatorLog.list({ pageSize: 100 })).entries.reverse()
  t.same(entries.map((e) => e.action), ['login', 'token_issued', 'login_failed', 'login_failed', 'view', 'export', 'logout'])
  t.match(entries[2], { username: 'ivan', outcome: 'failure', details: { reason: 'wrong_password', channel: 'form' } })
  t.match(entries[3], { username: null, outcome: 'failure', details: { reason: 'unknown_username', attempted: /^#[0-9a-f]{8}$/ } })
  t.match(entries[4], { username: 'ivan', details: { route: '/', path: '/?q=[email]', via: 'cookie' } }, 'views are recorded, emails scrubbed')
  t.match(entries[0], { username: 'ivan', ip: '127.0.0.1' })

  const page = await app.inject({ url: '/operator-log?action=login_failed', headers: { cookie: (await loginAs(app, 'ivan', password, { create: false })).cookie } })
  t.equal(page.statusCode, 200)
  t.match(page.body, '<h1>Operator log</h1>')
  t.match(page.body, 'reason=unknown_username')
  t.notMatch(page.body, '<td>logout</td>', 'filtered by action')
  t.match(page.body, '<td>login_failed</td>')
  t.match(page.body, 'name="_csrf"', 'log-out-everywhere form carries the CSRF token')

  // Anything typed is rendered escaped.
  await app.operatorLog.record({ action: 'export', username: '<b>x</b>', ip: null, outcome: 'success', details: { q: '<script>alert(1)</script>' } })
  const escaped = await app.inject({ url: '/operator-log?action=export', headers: { cookie: (await loginAs(app, 'ivan', password, { create: false })).cookie } })
  t.notMatch(escaped.body, '<script>alert(1)')
  t.match(escaped.body, '&lt;script&gt;alert(1)&lt;/script&gt;')
  t.match(escaped.body, '&lt;b&gt;x&lt;/b&gt;')
  const bad = await app.inject({ url: '/operator-log?action=%3Cx%3E', headers: { cookie: session.cookie } })
  t.not(bad.statusCode, 200)

  // Public routes registered before the auth plugin (health, assets) are served without an operator and unrecorded.
  t.equal((await app.inject('/healthz')).statusCode, 200)
  t.equal((await app.inject('/assets/app.css')).statusCode, 200)
  t.equal((await app.operatorLog.list({ action: 'view', username: 'nobody' })).entries.length, 0)
  t.same(lines.filter((l) => JSON.parse(l).level >= 50), [], 'no errors were logged')

  // Nothing secret in the database or the application log.
  const dump = JSON.stringify(await app.mongo.db.collection(OPERATOR_LOG_COLLECTION).find({}).toArray()) +
    JSON.stringify(await app.mongo.db.collection('admins').find({}).toArray())
  const logText = lines.join('')
  t.ok(logText.length > 0, 'the log was captured')
  const token = session.cookie.split(';')[0]?.split('=')[1] as string
  for (const secret of [password, 'wrong-password-1', 'wrong-password-2', typedIntoUsername, token, apiToken, session.bearer, session.csrfToken]) {
    t.notOk(dump.includes(secret), 'not in the database')
    t.notOk(logText.includes(secret), 'not in the log')
  }
  t.notOk(logText.includes('someone@example.com'), 'no emails in the log')
})

t.test('record is usable by other domains through the decorator', async (t) => {
  const app = await buildTestApp(t)
  await app.operatorLog.record({ action: 'manual_sync', username: 'someone', ip: '10.0.0.9', outcome: 'success' })
  const { entries } = await app.operatorLog.list({ action: 'manual_sync' })
  t.match(entries, [{ action: 'manual_sync', username: 'someone', ip: '10.0.0.9', details: {} }])
})

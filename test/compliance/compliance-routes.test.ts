import t from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'
import { loginAs } from '../helpers/inject-as-admin.js'
import type { EventDraft } from '../../src/events/event.js'

const app = await buildTestApp(t)
const session = await loginAs(app)

t.test('the events plugin is wired: ingest works and the report sees the TTL index created at startup', async (t) => {
  const draft: EventDraft = {
    site: 'acme', product: 'confluence', pipeline: 'audit', source: 'confluence-audit', source_record_id: 'c-1',
    occurred_at: Date.now() - 60_000, operation: 'space_permission_changed',
    actor: { account_id: 'acc-9', display_name: 'Nine', email: 'nine@example.com' },
    object: { type: 'space', id: 'DOC', name: 'Docs', container: 'DOC', url: null }, summary: 'Space permission changed'
  }
  t.match(await app.events.ingest([draft]), { inserted: 1 })
  t.equal((await app.identities.findByEmail('nine@example.com'))?.account_id, 'acc-9')

  const res = await app.inject({ method: 'GET', url: '/api/v1/compliance', headers: { authorization: `Bearer ${session.bearer}` } })
  t.equal(res.statusCode, 200)
  const body = res.json() as { controls: Array<{ id: string, status: string, value: string }>, summary: Record<string, number> }
  const byId = Object.fromEntries(body.controls.map((c) => [c.id, c]))
  t.equal(byId.retention_ttl?.status, 'pass')
  t.equal(byId.plaintext_emails?.status, 'pass')
  t.equal(byId.admin_passwords?.status, 'pass', 'the seeded admin has a bcrypt hash')
  t.match(byId.encryption_key?.value, new RegExp(app.fieldCipher.keyFingerprint()))
  t.equal(body.summary.fail, 0)
})

t.test('the printable page renders every control in the layout', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/compliance', headers: { cookie: session.cookie } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /<html/)
  t.match(res.body, /Compliance evidence/)
  t.match(res.body, /31,536,000/)
  t.match(res.body, /id="control-display_names"/)
  t.match(res.body, /Compensating controls/)
  t.notMatch(res.body, /nine@example\.com/)
})

t.test('anonymous requests are refused', async (t) => {
  const api = await app.inject({ method: 'GET', url: '/api/v1/compliance' })
  t.equal(api.statusCode, 401)
  const page = await app.inject({ method: 'GET', url: '/compliance' })
  t.not(page.statusCode, 200)
})

t.test('strict mode through the app: names encrypted at rest, still resolved, and the control passes', async (t) => {
  const strict = await buildTestApp(t, { encryptDisplayNames: true })
  const admin = await loginAs(strict)
  await strict.events.ingest([{
    site: 'acme', product: 'jira', pipeline: 'activity', source: 'jira-activity', source_record_id: 'h-1',
    occurred_at: new Date(Date.now() - 3_600_000).toISOString(), operation: 'issue_created',
    actor: { account_id: 'acc-s', display_name: 'Sakura Tanaka' },
    object: { type: 'issue', id: '7', name: 'APO-7', container: 'APO', url: null }, summary: 'Created APO-7'
  }])
  t.equal((await strict.identities.resolveNames(['acc-s'])).get('acc-s'), 'Sakura Tanaka')
  const raw = await strict.mongo.db.collection('identities').findOne({ _id: 'acc-s' as never })
  t.equal(raw?.display_name, null)
  t.notMatch(JSON.stringify(raw), /Sakura/)
  const res = await strict.inject({ method: 'GET', url: '/api/v1/compliance', headers: { authorization: `Bearer ${admin.bearer}` } })
  const names = (res.json() as { controls: Array<{ id: string, status: string }> }).controls.find((c) => c.id === 'display_names')
  t.equal(names?.status, 'pass')
})

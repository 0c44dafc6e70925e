import t from 'tap'
import { Availability, SourceId, type SyncContext } from '../../src/connectors/connector.js'
import { loginAs } from '../helpers/inject-as-admin.js'
import { fakeSite, gate, pagedConnector } from './fake-connectors.js'
import { buildSyncApp } from './sync-app.js'

const site = fakeSite('acme.example')

function untilAborted (ctx: SyncContext, g: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }, { once: true })
    g.then(resolve, reject)
  })
}

t.test('sync status, Sync now, the run in progress and cancel through the JSON API', async (t) => {
  const hold = gate()
  const jira = pagedConnector({ source: SourceId.JiraAudit, pages: 3, beforePage: async (i, ctx) => { if (i === 1) await untilAborted(ctx, hold.wait) } })
  const confluence = pagedConnector({ source: SourceId.ConfluenceAudit, pages: 1, notConfigured: 'No Confluence API token configured' })
  const org = pagedConnector({ source: SourceId.OrgEvents, pages: 0, availability: Availability.Unavailable, reason: 'requires Atlassian Guard' })
  const app = await buildSyncApp(t, { sites: [site] }, { connectors: [jira, confluence, org] })
  t.teardown(() => { hold.open() })
  const admin = await loginAs(app)
  const auth = { authorization: `Bearer ${admin.bearer}` }

  const anonymous = await app.inject({ method: 'GET', url: '/api/v1/sync/status' })
  t.equal(anonymous.statusCode, 401, 'the API is behind the login gate')

  let res = await app.inject({ method: 'GET', url: '/api/v1/sync/status', headers: auth })
  t.equal(res.statusCode, 200)
  let body = res.json()
  t.equal(body.schedulerEnabled, false)
  t.same(body.sources.map((s: { source: string }) => s.source), [SourceId.JiraAudit, SourceId.ConfluenceAudit, SourceId.OrgEvents])
  t.equal(body.sources[1].availability, 'not_configured')
  t.equal(body.sources[1].reason, 'No Confluence API token configured')

  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth, payload: { site: site.id, source: SourceId.JiraAudit } })
  t.equal(res.statusCode, 202)
  t.equal(res.json().status, 'started')
  t.equal(res.json().runs[0].status, 'started')

  // Wait until the run holds on page 1 (its first page is committed).
  for (let i = 0; i < 300 && (await app.scheduler.states.get(site.id, SourceId.JiraAudit))?.checkpoint?.page !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth, payload: { site: site.id, source: SourceId.JiraAudit } })
  t.equal(res.statusCode, 409, 'a second Sync now reports the run in progress')
  body = res.json()
  t.equal(body.runs[0].status, 'already_running')
  t.equal(body.runs[0].progress.trigger, 'manual')
  t.ok(body.runs[0].progress.startedAt)

  res = await app.inject({ method: 'GET', url: `/api/v1/sync/status?source=${SourceId.JiraAudit}`, headers: auth })
  t.equal(res.json().sources.length, 1)
  t.ok(res.json().sources[0].running, 'status shows the live run')

  res = await app.inject({ method: 'POST', url: '/api/v1/sync/cancel', headers: auth, payload: { source: SourceId.JiraAudit } })
  t.equal(res.statusCode, 200)
  t.same(res.json().cancelled, [{ site: site.id, source: SourceId.JiraAudit, cancelled: true }])
  await app.scheduler.whenIdle()
  res = await app.inject({ method: 'GET', url: '/api/v1/sync/status', headers: auth })
  const jiraStatus = res.json().sources[0]
  t.equal(jiraStatus.running, null)
  t.equal(jiraStatus.lastResult, 'cancelled')

  // Sync everything: the unavailable source is reported with its reason, and invents nothing.
  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth, payload: {} })
  t.equal(res.statusCode, 202)
  t.same(res.json().runs.map((r: { status: string }) => r.status), ['started', 'not_configured', 'started'])
  hold.open()
  await app.scheduler.whenIdle()
  res = await app.inject({ method: 'GET', url: '/api/v1/sync/status', headers: auth })
  const [j, , o] = res.json().sources
  t.equal(j.lastResult, 'ok')
  t.equal(j.totals.records, 9)
  t.equal(o.availability, 'unavailable')
  t.equal(o.reason, 'requires Atlassian Guard')

  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth })
  t.equal(res.statusCode, 202, 'no body means every source')
  t.same(res.json().runs.map((r: { status: string }) => r.status), ['started', 'not_configured', 'started'])
  await app.scheduler.whenIdle()

  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth, payload: { site: 'nowhere.example' } })
  t.equal(res.statusCode, 404)
  res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: auth, payload: { source: 'not-a-source' } })
  t.equal(res.statusCode, 400, 'the body schema rejects unknown sources')

  const log = await app.operatorLog.list({ action: 'manual_sync' })
  t.equal(log.entries.length, 4, 'every manual sync is in the operator log')
  t.equal(log.entries[0]?.username, admin.username)
  t.equal((await app.operatorLog.list({ action: 'sync_cancel' })).entries.length, 1)
})

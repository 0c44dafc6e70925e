import t from 'tap'
import { Availability, SourceId, type SyncContext } from '../../src/connectors/connector.js'
import { cardId } from '../../src/scheduler/sync-status.js'
import { stateKey } from '../../src/scheduler/connector-state-repository.js'
import { loginAs } from '../helpers/inject-as-admin.js'
import { fakeSite, gate, pagedConnector } from './fake-connectors.js'
import { buildSyncApp } from './sync-app.js'

const site = fakeSite('acme.example')

t.test('connectors page, fragments, live polling only while running, Sync now form', async (t) => {
  const hold = gate()
  const jira = pagedConnector({
    source: SourceId.JiraAudit,
    pages: 2,
    beforePage: async (i, ctx: SyncContext) => {
      if (i === 1) await new Promise<void>((resolve, reject) => { ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }); hold.wait.then(resolve, reject) })
    }
  })
  const confluence = pagedConnector({ source: SourceId.ConfluenceAudit, pages: 1, notConfigured: 'No Confluence API token configured' })
  const org = pagedConnector({ source: SourceId.OrgEvents, pages: 0, availability: Availability.Unavailable, reason: 'requires Atlassian Guard' })
  const app = await buildSyncApp(t, { sites: [site], syncIntervalMinutes: 15 }, { connectors: [jira, confluence, org] })
  t.teardown(() => { hold.open() })
  const admin = await loginAs(app)
  const jiraCard = cardId(site.id, SourceId.JiraAudit)
  const cardUrl = `/connectors/card?site=${encodeURIComponent(site.id)}&source=${SourceId.JiraAudit}`

  const anonymous = await app.inject({ method: 'GET', url: '/connectors' })
  t.equal(anonymous.statusCode, 302, 'the page is behind the login gate')

  let res = await app.inject({ method: 'GET', url: '/connectors', headers: { cookie: admin.cookie } })
  t.equal(res.statusCode, 200)
  t.match(res.body, '<html')
  t.match(res.headers.vary, /HX-Request/i)
  t.match(res.body, `id="${jiraCard}"`)
  t.match(res.body, 'Not configured')
  t.match(res.body, 'No Confluence API token configured')
  t.match(res.body, 'not reported by the API', 'token expiry: the API does not tell')
  t.notMatch(res.body, 'hx-trigger="every 2s"', 'nothing polls while nothing runs')
  t.notMatch(res.body, 'jira-secret-token-value', 'no token is ever rendered')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1]
  t.ok(csrf, 'the Sync now form carries a CSRF token')

  res = await app.inject({ method: 'GET', url: '/connectors', headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, '<html', 'a fragment has no layout')
  t.match(res.headers.vary, /HX-Request/i)
  t.match(res.body, 'id="connector-list"')

  // Sync now without a CSRF token is refused.
  res = await app.inject({ method: 'POST', url: '/connectors/sync', headers: { cookie: admin.cookie }, payload: { site: site.id, source: SourceId.JiraAudit } })
  t.equal(res.statusCode, 403)
  t.equal(app.scheduler.isRunningHere(site.id, SourceId.JiraAudit), false)

  // Sync now from the card (htmx): the swapped-in card polls itself.
  res = await app.inject({
    method: 'POST',
    url: '/connectors/sync',
    headers: { cookie: admin.cookie, 'hx-request': 'true' },
    payload: { site: site.id, source: SourceId.JiraAudit, _csrf: csrf as string }
  })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, '<html')
  t.match(res.body, `id="${jiraCard}"`)
  t.match(res.body, 'hx-trigger="every 2s"')
  t.match(res.body, `hx-get="/connectors/card?site=${encodeURIComponent(site.id)}&amp;source=${SourceId.JiraAudit}"`)
  t.match(res.body, 'Cancel')

  res = await app.inject({ method: 'GET', url: cardUrl, headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, '<html')
  t.match(res.headers.vary, /HX-Request/i)
  t.match(res.body, 'hx-trigger="every 2s"', 'still polling while the run is active')
  t.match(res.body, /Running since/)
  t.equal((res.body.match(/<article/g) ?? []).length, 1, 'exactly one card')

  hold.open()
  await app.scheduler.whenIdle()
  res = await app.inject({ method: 'GET', url: cardUrl, headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.notMatch(res.body, 'hx-trigger', 'the server stops the polling once the run has ended')
  t.match(res.body, 'Sync now')
  t.match(res.body, /6 records, 6 new/)

  // A plain browser form post: post/redirect/get.
  res = await app.inject({ method: 'POST', url: '/connectors/sync', headers: { cookie: admin.cookie }, payload: { site: site.id, source: SourceId.OrgEvents, _csrf: csrf as string } })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/connectors')
  await app.scheduler.whenIdle()
  res = await app.inject({ method: 'GET', url: '/connectors', headers: { cookie: admin.cookie } })
  t.match(res.body, 'requires Atlassian Guard')

  // Silent for more than 3 intervals.
  await app.mongo.db.collection('connector_state').updateOne({ _id: stateKey(site.id, SourceId.JiraAudit) as never }, { $set: { last_success_at: new Date(Date.now() - 4 * 15 * 60_000) } })
  res = await app.inject({ method: 'GET', url: cardUrl, headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.match(res.body, /Silent: no successful sync since/)
  // An expiry the API reported, two days out.
  await app.mongo.db.collection('connector_state').updateOne({ _id: stateKey(site.id, SourceId.JiraAudit) as never }, { $set: { credential_expires_at: new Date(Date.now() + 2 * 86_400_000) } })
  res = await app.inject({ method: 'GET', url: cardUrl, headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.match(res.body, /The API key or token expires on/)

  res = await app.inject({ method: 'GET', url: '/connectors/card?site=acme.example&source=bogus', headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  t.equal(res.statusCode, 400)
})

import t from 'tap'
import { createConfluenceAuditConnector } from '../../../src/connectors/confluence/confluence-audit-connector.js'
import { DAY_MS } from '../../../src/connectors/jira/site-api.js'
import { HOSTILE_FAULTS, runUntilOk, startHarness } from '../jira/sync-harness.js'
import { testSite } from '../jira/site-fixture.js'

const window = (now: Date): [Date, Date] => [new Date(now.getTime() - 364 * DAY_MS), now]

t.test('ingests exactly the ground truth, then nothing new, then new records', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createConfluenceAuditConnector(h.deps, { pageSize: 40 })
  const first = await h.run(connector)
  t.equal(first.availability, 'ok')
  let [from, to] = window(h.sim.clock.now())
  t.ok(h.sim.groundTruth(from, to)['confluence-audit']! > 0)
  t.equal(await h.count('confluence-audit', from, to), h.sim.groundTruth(from, to)['confluence-audit'])
  t.equal(await h.duplicates('confluence-audit'), 0)
  t.equal((await h.run(connector)).inserted, 0, 'a second run inserts nothing')
  h.sim.clock.advance(4 * DAY_MS)
  t.ok((await h.run(connector)).inserted > 0, 'new records arrive after the clock moves')
  ;[from, to] = window(h.sim.clock.now())
  t.equal(await h.count('confluence-audit', from, to), h.sim.groundTruth(from, to)['confluence-audit'])
})

t.test('a run cancelled mid-backfill resumes and ends exact', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createConfluenceAuditConnector(h.deps, { pageSize: 15 })
  const controller = new AbortController()
  let pages = 0
  await t.rejects(h.run(connector, { signal: controller.signal, onIngest: () => { if (++pages === 3) controller.abort() } }))
  t.equal((await h.run(connector)).availability, 'ok')
  const [from, to] = window(h.sim.clock.now())
  t.equal(await h.count('confluence-audit', from, to), h.sim.groundTruth(from, to)['confluence-audit'])
  t.equal(await h.duplicates('confluence-audit'), 0)
})

t.test('configuration: a classic Jira token also serves Confluence', async (t) => {
  const connector = createConfluenceAuditConnector({ clientFor: () => { throw new Error('unused') } })
  t.equal(connector.notConfiguredReason(testSite(null, { confluenceApiToken: null })), null)
  t.equal(connector.notConfiguredReason(testSite(null, { confluenceApiToken: null, jiraApiToken: null })), 'No Confluence API token configured')
  t.equal(connector.notConfiguredReason({ ...testSite(), baseUrls: { ...testSite().baseUrls, confluence: null } }), 'No Confluence site configured')
})

t.test('hostile faults (odd records drop optional fields or add new ones): exact after retries, no duplicates', async (t) => {
  const h = await startHarness(t, HOSTILE_FAULTS, new Date('2026-06-01T00:00:00Z'))
  await runUntilOk(h, createConfluenceAuditConnector(h.deps, { pageSize: 10 }))
  const [from, to] = window(h.sim.clock.now())
  t.equal(await h.count('confluence-audit', from, to), h.sim.groundTruth(from, to)['confluence-audit'])
  t.equal(await h.duplicates('confluence-audit'), 0)
})

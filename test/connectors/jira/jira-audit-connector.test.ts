import t from 'tap'
import { createJiraAuditConnector, jiraAuditQuery } from '../../../src/connectors/jira/jira-audit-connector.js'
import { DAY_MS } from '../../../src/connectors/jira/site-api.js'
import { HOSTILE_FAULTS, runUntilOk, startHarness } from './sync-harness.js'
import { testSite } from './site-fixture.js'

const window = (now: Date): [Date, Date] => [new Date(now.getTime() - 364 * DAY_MS), now]

t.test('ingests exactly the ground truth (Jira and JSM split), then nothing new, then new records', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createJiraAuditConnector(h.deps, { pageSize: 50 })
  const first = await h.run(connector)
  t.equal(first.availability, 'ok')
  let [from, to] = window(h.sim.clock.now())
  let truth = h.sim.groundTruth(from, to)
  t.ok(truth['jira-audit']! > 0 && truth['jsm-audit']! > 0, 'the simulator has both kinds')
  t.equal(await h.count('jira-audit', from, to), truth['jira-audit'])
  t.equal(await h.count('jsm-audit', from, to), truth['jsm-audit'])
  t.equal(await h.duplicates('jira-audit'), 0)
  t.equal(first.inserted, first.records, 'every record read once is inserted once')

  const second = await h.run(connector)
  t.equal(second.inserted, 0, 'a second run inserts nothing')

  h.sim.clock.advance(3 * DAY_MS)
  const third = await h.run(connector)
  ;[from, to] = window(h.sim.clock.now())
  truth = h.sim.groundTruth(from, to)
  t.ok(third.inserted > 0, 'new records arrive after the clock moves')
  t.equal(await h.count('jira-audit', from, to), truth['jira-audit'])
  t.equal(await h.count('jsm-audit', from, to), truth['jsm-audit'])
})

t.test('a run cancelled mid-backfill resumes from its checkpoint and ends exact', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createJiraAuditConnector(h.deps, { pageSize: 20 })
  const controller = new AbortController()
  let pages = 0
  await t.rejects(h.run(connector, { signal: controller.signal, onIngest: () => { if (++pages === 4) controller.abort() } }))
  t.ok(h.state.checkpoint !== null, 'pages before the cancel were checkpointed')
  const resumed = await h.run(connector)
  t.equal(resumed.availability, 'ok')
  const [from, to] = window(h.sim.clock.now())
  const truth = h.sim.groundTruth(from, to)
  t.equal(await h.count('jira-audit', from, to), truth['jira-audit'])
  t.equal(await h.count('jsm-audit', from, to), truth['jsm-audit'])
  t.equal(await h.duplicates('jsm-audit'), 0)
})

t.test('the query is an inclusive ISO-8601 window', async (t) => {
  t.same(jiraAuditQuery(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 8), 40, 20), { from: '2026-01-01T00:00:00.000Z', to: '2026-01-08T00:00:00.000Z', offset: 40, limit: 20 })
})

t.test('not configured without a Jira token; 403 means unavailable with the reason', async (t) => {
  const h = await startHarness(t, 'none')
  const connector = createJiraAuditConnector(h.deps)
  t.equal(connector.notConfiguredReason(testSite(null, { jiraApiToken: null })), 'No Jira API token configured')
  t.equal(connector.notConfiguredReason(testSite()), null)
  const denied = createJiraAuditConnector({
    clientFor: () => ({
      get: async () => { throw Object.assign(new Error('denied'), { details: { status: 403 } }) },
      postSearch: async () => { throw new Error('unused') }
    })
  })
  const outcome = await h.run(denied)
  t.equal(outcome.availability, 'unavailable')
  t.match(outcome.reason, /Administer Jira/)
})

t.test('hostile faults (5xx bursts, cut JSON, odd records, expired token): exact after retries', async (t) => {
  const h = await startHarness(t, HOSTILE_FAULTS, new Date('2026-06-01T00:00:00Z'))
  await runUntilOk(h, createJiraAuditConnector(h.deps, { pageSize: 10 }))
  const [from, to] = window(h.sim.clock.now())
  const truth = h.sim.groundTruth(from, to)
  t.equal(await h.count('jira-audit', from, to), truth['jira-audit'])
  t.equal(await h.count('jsm-audit', from, to), truth['jsm-audit'])
  t.ok((h.sim.stats().faultsInjected['record-quirk'] ?? 0) > 0, 'odd records were served')
})

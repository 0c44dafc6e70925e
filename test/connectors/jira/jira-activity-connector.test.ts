import t, { type Test } from 'tap'
import { createJiraActivityConnector } from '../../../src/connectors/jira/jira-activity-connector.js'
import { DAY_MS, MINUTE_MS } from '../../../src/connectors/jira/site-api.js'
import { formatJqlDate, updatedSinceJql } from '../../../src/connectors/jira/jira-jql.js'
import type { Harness } from './sync-harness.js'
import { HOSTILE_FAULTS, runUntilOk, startHarness } from './sync-harness.js'

// worklog/updated hides the minute before each request (as Jira does): the window ends two minutes before now.
const window = (now: Date): [Date, Date] => [new Date(now.getTime() - 364 * DAY_MS), new Date(now.getTime() - 2 * MINUTE_MS)]

async function expectExact (t: Test, h: Harness): Promise<void> {
  const [from, to] = window(h.sim.clock.now())
  const truth = h.sim.groundTruth(from, to)
  t.ok(truth['jira-activity']! > 0 && truth['jsm-activity']! > 0, 'the simulator has Jira and JSM activity')
  t.equal(await h.count('jira-activity', from, to), truth['jira-activity'], 'jira-activity equals ground truth')
  t.equal(await h.count('jsm-activity', from, to), truth['jsm-activity'], 'jsm-activity equals ground truth')
  t.equal(await h.duplicates('jira-activity'), 0)
  t.equal(await h.duplicates('jsm-activity'), 0)
}

t.test('histories, comments, edits and worklogs: exact ground truth, idempotent rerun, new activity later', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createJiraActivityConnector(h.deps)
  const first = await h.run(connector)
  t.equal(first.availability, 'ok')
  await expectExact(t, h)
  const jsmOnly = await h.mongo.db.collection('events').distinct('object.container', { source: 'jsm-activity' })
  t.same(jsmOnly.sort(), ['HELP', 'HR'], 'JSM events come only from service-desk projects')
  const jiraContainers = await h.mongo.db.collection('events').distinct('object.container', { source: 'jira-activity' })
  t.notOk(jiraContainers.includes('HELP'), 'no second copy of JSM issues as Jira events')

  const second = await h.run(connector)
  t.equal(second.inserted, 0, 'a second run inserts nothing')

  h.sim.clock.advance(2 * DAY_MS)
  const third = await h.run(connector)
  t.ok(third.inserted > 0, 'new activity appears after the clock moves')
  await expectExact(t, h)
})

t.test('a run cancelled mid-backfill resumes and ends exact', async (t) => {
  const h = await startHarness(t, 'default')
  // A tiny issue cache makes worklog attribution fall back to GET /issue/{id} for most worklogs.
  const connector = createJiraActivityConnector(h.deps, { issuePageSize: 25, issueCacheSize: 5 })
  const controller = new AbortController()
  let pages = 0
  await t.rejects(h.run(connector, { signal: controller.signal, onIngest: () => { if (++pages === 3) controller.abort() } }))
  t.type(h.state.checkpoint?.issuesWatermark, 'number', 'the issue watermark was committed page by page')
  const resumed = await h.run(connector)
  t.equal(resumed.availability, 'ok')
  await expectExact(t, h)
})

t.test('JQL bounds are never later than the instant, whatever zone Jira reads them in', async (t) => {
  const at = Date.UTC(2026, 2, 1, 12, 34, 56)
  t.equal(formatJqlDate(at, 'Asia/Tokyo'), '2026-03-01 12:34', 'east of UTC: the UTC wall clock is earlier')
  t.equal(formatJqlDate(at, 'America/New_York'), '2026-03-01 07:34', 'west of UTC: the local wall clock is earlier')
  t.equal(formatJqlDate(at, null), '2026-02-28 22:34', 'unknown zone: 14 h earlier')
  t.equal(formatJqlDate(at, 'Not/AZone'), '2026-02-28 22:34')
  t.equal(updatedSinceJql(at, 'UTC'), 'updated >= "2026-03-01 12:34" ORDER BY updated ASC')
})

t.test('hostile faults (5xx bursts, cut JSON, repeated cursors, odd records, expired token): exact after retries', async (t) => {
  const h = await startHarness(t, HOSTILE_FAULTS)
  const failed = await runUntilOk(h, createJiraActivityConnector(h.deps))
  t.ok(failed >= 1, 'the expired token failed at least one run')
  await expectExact(t, h)
  t.ok((h.sim.stats().faultsInjected['repeat-cursor'] ?? 0) > 0, 'repeated cursors were served')
})

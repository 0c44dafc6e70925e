import t, { type Test } from 'tap'
import { activityCql, createConfluenceActivityConnector, cursorOf } from '../../../src/connectors/confluence/confluence-activity-connector.js'
import { DAY_MS } from '../../../src/connectors/jira/site-api.js'
import { HOSTILE_FAULTS, runUntilOk, startHarness, type Harness } from '../jira/sync-harness.js'

const window = (now: Date): [Date, Date] => [new Date(now.getTime() - 364 * DAY_MS), now]

async function expectExact (t: Test, h: Harness): Promise<void> {
  const [from, to] = window(h.sim.clock.now())
  const truth = h.sim.groundTruth(from, to)['confluence-activity']!
  t.ok(truth > 0)
  t.equal(await h.count('confluence-activity', from, to), truth, 'every version of every page and blog post')
  t.equal(await h.duplicates('confluence-activity'), 0)
}

t.test('pages and blog posts, every version: exact, idempotent, then new versions', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createConfluenceActivityConnector(h.deps, { searchPageSize: 50 })
  t.equal((await h.run(connector)).availability, 'ok')
  await expectExact(t, h)
  const events = h.mongo.db.collection('events')
  t.ok(await events.countDocuments({ source: 'confluence-activity', operation: 'blogpost_created' }) > 0, 'blog posts are read')
  t.ok(await events.countDocuments({ source: 'confluence-activity', operation: 'page_updated' }) > 0, 'later versions are updates')
  t.equal(await events.countDocuments({ source: 'confluence-activity', 'object.container': null }), 0, 'every event has its space key')
  const sample = await events.findOne({ source: 'confluence-activity', operation: 'page_created' })
  t.match(sample?.object.url, /^https:\/\/acme\.atlassian\.net\/wiki\/spaces\/[A-Z]+\/pages\/\d+$/)
  t.equal((await h.run(connector)).inserted, 0, 'a second run inserts nothing')
  h.sim.clock.advance(5 * DAY_MS)
  t.ok((await h.run(connector)).inserted > 0, 'new versions appear after the clock moves')
  await expectExact(t, h)
})

t.test('a run cancelled mid-backfill resumes and ends exact', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createConfluenceActivityConnector(h.deps, { searchPageSize: 20 })
  const controller = new AbortController()
  let pages = 0
  await t.rejects(h.run(connector, { signal: controller.signal, onIngest: () => { if (++pages === 3) controller.abort() } }))
  t.type(h.state.checkpoint?.sweepFrom, 'number', 'the interrupted sweep keeps its lower bound')
  t.equal((await h.run(connector)).availability, 'ok')
  t.equal(h.state.checkpoint?.sweepFrom, null)
  await expectExact(t, h)
})

t.test('CQL and cursor helpers', async (t) => {
  t.equal(activityCql(Date.UTC(2026, 2, 1, 12, 0)), 'type in (page, blogpost) AND lastmodified >= "2026-02-28 22:00" ORDER BY lastmodified')
  t.equal(cursorOf('/rest/api/search?cql=x&cursor=abc&next=true'), 'abc')
  t.equal(cursorOf('/wiki/api/v2/pages/1/versions?limit=2'), null)
  t.equal(cursorOf(undefined), null)
})

t.test('hostile faults: exact after retries', async (t) => {
  // A fixed clock makes the fault sequence (keyed by request URL) the same on every run of this test.
  const h = await startHarness(t, HOSTILE_FAULTS, new Date('2026-06-01T00:00:00Z'))
  const failed = await runUntilOk(h, createConfluenceActivityConnector(h.deps, { searchPageSize: 10 }))
  t.ok(failed >= 1, 'the expired token failed at least one run')
  await expectExact(t, h)
  t.ok((h.sim.stats().faultsInjected['repeat-cursor'] ?? 0) > 0, 'repeated cursors were served')
})

import t, { type Test } from 'tap'
import { activityCql, createConfluenceActivityConnector, cursorOf, embeddedVersions } from '../../../src/connectors/confluence/confluence-activity-connector.js'
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

t.test('versions carried by the search hit: up to three, else null (the versions endpoint is read)', async (t) => {
  const by = { accountId: 'acc-1', displayName: 'Ada' }
  const history = { createdBy: by, createdDate: '2026-01-01T00:00:00.000Z', previousVersion: { number: 2, when: '2026-01-02T00:00:00.000Z', by } }
  const latest = (number: number): Record<string, unknown> => ({ number, when: '2026-01-03T00:00:00.000Z', by })
  t.same(embeddedVersions(latest(1), {}), [latest(1)], 'version 1 alone')
  t.same(embeddedVersions(latest(2), history), [{ number: 1, when: '2026-01-01T00:00:00.000Z', by }, latest(2)])
  t.same(embeddedVersions(latest(3), history), [{ number: 1, when: '2026-01-01T00:00:00.000Z', by }, history.previousVersion, latest(3)])
  t.equal(embeddedVersions(latest(4), history), null, 'four versions: read them')
  t.equal(embeddedVersions(latest(3), { ...history, previousVersion: { number: 1 } }), null, 'a previous version that is not n - 1')
  t.equal(embeddedVersions(latest(2), { createdBy: by }), null, 'no creation date')
  t.equal(embeddedVersions(latest(2), {}), null, 'no history expanded')
})

t.test('a sync reads /versions only for items with more than three versions', async (t) => {
  const h = await startHarness(t, 'none')
  const out = await h.run(createConfluenceActivityConnector(h.deps))
  t.equal(out.availability, 'ok')
  await expectExact(t, h)
  const routes = h.sim.stats().byRoute
  const versionReads = (routes['GET /wiki/api/v2/pages/:id/versions'] ?? 0) + (routes['GET /wiki/api/v2/blogposts/:id/versions'] ?? 0)
  const events = await h.mongo.db.collection('events').aggregate([
    { $match: { source: 'confluence-activity' } }, { $group: { _id: '$object.id', n: { $sum: 1 } } }
  ]).toArray()
  const many = events.filter((e) => (e.n as number) > 3).length
  t.ok(many > 0 && events.some((e) => (e.n as number) <= 3 && (e.n as number) > 1), 'the simulator has items on both sides of the bound')
  t.ok(versionReads >= many && versionReads < events.length, `versions read for ${versionReads} of ${events.length} items (${many} with more than three)`)
})

import t from 'tap'
import { startSimulator, buildSimulator } from '../../src/simulator/index.js'
import { createFetcher, DEFAULT_AUTH, walkOrgEvents, type Walked } from './walk-helpers.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const WEEK = 7 * 86_400_000

t.test('advancing the clock reveals new records in every source', async (t) => {
  const sim = await startSimulator({ seed: 4, now: NOW })
  t.teardown(sim.close)
  const before = sim.handle.groundTruth()
  sim.handle.clock.advance(WEEK)
  t.equal(sim.handle.clock.now().toISOString(), new Date(NOW.getTime() + WEEK).toISOString())
  const after = sim.handle.groundTruth()
  for (const k of Object.keys(before)) t.ok(after[k]! > before[k]!, `${k}: ${before[k]!} → ${after[k]!}`)
  t.same(sim.handle.groundTruth(undefined, NOW), before, 'the old window is unchanged')
})

t.test('an events-stream cursor kept from the last page picks up exactly the new events', async (t) => {
  const sim = await startSimulator({ seed: 4, now: NOW })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const w: Walked = {}
  const cursor = await walkOrgEvents(f, w, 'sim-org')
  t.equal(w['org-events']!.size, sim.handle.groundTruth()['org-events'])
  const before = sim.handle.groundTruth()['org-events']!
  sim.handle.clock.advance(WEEK)
  const fresh: string[] = []
  for (let c = cursor; ;) {
    const { body } = await f.get(`/admin/v1/orgs/sim-org/events-stream?cursor=${c}`)
    if (body.data.length === 0) break
    fresh.push(...body.data.map((e: { id: string }) => e.id))
    c = body.meta.next
  }
  t.equal(fresh.length, sim.handle.groundTruth()['org-events']! - before)
  t.ok(fresh.length > 0)
  t.ok(fresh.every((id) => !w['org-events']!.has(id)), 'nothing seen before comes again')
})

t.test('JQL updated bounds see issues touched after the advance; edits and versions follow the clock', async (t) => {
  const sim = await startSimulator({ seed: 4, now: NOW })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const jql = '/rest/api/3/search/jql?fields=updated&maxResults=100&jql=' + encodeURIComponent('updated >= "2026-06-01 00:00" ORDER BY updated ASC')
  t.equal((await f.get(jql)).body.issues.length, 0, 'nothing is updated after now')
  sim.handle.clock.advance(WEEK)
  const { body } = await f.get(jql)
  t.ok(body.issues.length > 0)
  for (const i of body.issues) t.ok(Date.parse(i.fields.updated.replace('+0000', 'Z')) >= NOW.getTime())
})

t.test('a clock without a start follows real time', async (t) => {
  const app = await buildSimulator({ seed: 4 })
  t.teardown(() => app.close())
  const drift = Math.abs(app.simulator.clock.now().getTime() - Date.now())
  t.ok(drift < 60_000, 'starts at the real time')
  app.simulator.clock.advance(3_600_000)
  t.ok(app.simulator.clock.now().getTime() - Date.now() > 3_500_000, 'advance adds an offset')
})

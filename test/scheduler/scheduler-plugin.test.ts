import t from 'tap'
import { Availability, SourceId, type Connector } from '../../src/connectors/connector.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { fakeSite } from './fake-connectors.js'
import { buildSyncApp } from './sync-app.js'

const INTERVAL_MINUTES = 0.01 // 600 ms: real timers, kept short
const INTERVAL_MS = INTERVAL_MINUTES * 60_000

/** Records every run's start (across app instances) per source. */
function recordingConnector (source: typeof SourceId[keyof typeof SourceId], starts: Map<string, Array<{ at: number, holder: string }>>, holder: string): Connector {
  return {
    source,
    label: `recording ${source}`,
    notConfiguredReason: () => null,
    async run (ctx) {
      const list = starts.get(source) ?? []
      list.push({ at: ctx.now().getTime(), holder })
      starts.set(source, list)
      await new Promise((resolve) => setTimeout(resolve, 20))
      await ctx.commitCheckpoint({ runs: list.length })
      return { availability: Availability.Ok, pages: 1, records: 0, inserted: 0 }
    }
  }
}

t.test('two app instances on one store with timers on: every source runs once per interval, not twice', async (t) => {
  const mongo = await startTestMongo(t)
  const site = fakeSite('shared.example')
  const starts = new Map<string, Array<{ at: number, holder: string }>>()
  const sources = [SourceId.JiraAudit, SourceId.ConfluenceAudit, SourceId.OrgEvents]
  const overrides = { sites: [site], schedulerEnabled: true, syncIntervalMinutes: INTERVAL_MINUTES }
  const a = await buildSyncApp(t, overrides, { holderId: 'A', connectors: sources.map((s) => recordingConnector(s, starts, 'A')) }, mongo)
  const b = await buildSyncApp(t, overrides, { holderId: 'B', connectors: sources.map((s) => recordingConnector(s, starts, 'B')) }, mongo)

  // Let both timers fire several times.
  const enough = (): boolean => sources.every((s) => (starts.get(s)?.length ?? 0) >= 4)
  for (let i = 0; i < 3000 && !enough(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await a.close()
  await b.close()
  t.ok(enough(), 'the timers ran every source repeatedly')
  for (const source of sources) {
    const runs = starts.get(source) ?? []
    const gaps = runs.slice(1).map((r, i) => r.at - (runs[i] as { at: number }).at)
    // Launches are >= 0.9 interval apart by construction; the connector sees them after a launch latency that
    // varies on a loaded machine, so check at half an interval (a duplicate would be a few ms, or a timer phase, apart).
    t.ok(gaps.every((g) => g >= 0.5 * INTERVAL_MS), `${source}: no two runs in one interval (gaps ${gaps.join(', ')} ms)`)
  }
  const after = [...starts.values()].reduce((n, l) => n + l.length, 0)
  await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS))
  t.equal([...starts.values()].reduce((n, l) => n + l.length, 0), after, 'closing the apps stopped their timers')
  t.equal((await mongo.db.collection('leases').countDocuments({})), 0, 'no lease left behind')
})

t.test('the scheduler stays off when config.schedulerEnabled is false', async (t) => {
  const starts = new Map<string, Array<{ at: number, holder: string }>>()
  const app = await buildSyncApp(t, { sites: [fakeSite('off.example')], schedulerEnabled: false, syncIntervalMinutes: INTERVAL_MINUTES }, {
    connectors: [recordingConnector(SourceId.JiraAudit, starts, 'X')]
  })
  await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS))
  t.equal(starts.size, 0, 'no timer ran')
  const state = await app.scheduler.states.get('off.example', SourceId.JiraAudit)
  t.ok(state, 'connector_state exists from the start (shown as never run)')
  t.equal(state?.last_run_at, null)
})

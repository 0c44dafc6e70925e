// End to end through the registry: the real connectors, read-only clients, scheduler and ingest against the simulator.
import t from 'tap'
import { Availability, SourceId, type SiteConfig } from '../../src/connectors/connector.js'
import { buildRegistry, createConnectors } from '../../src/connectors/registry.js'
import { createClientFactory } from '../../src/connectors/client-factory.js'
import { startSimulator, DEFAULT_CREDENTIALS, GROUND_TRUTH_SOURCES } from '../../src/simulator/index.js'
import pino from 'pino'
import { buildSyncApp } from '../scheduler/sync-app.js'

const FAST = { concurrency: 4, ratePerSecond: 10_000, burst: 10_000 }
export const FAST_CLIENTS = {
  rateProfiles: { default: FAST, jira: FAST, confluence: FAST, admin: FAST, adminEvents: FAST, bitbucket: FAST },
  retry: { baseMs: 5, capMs: 50, maxAttempts: 8 }
}

function simSite (url: string, handle: { orgId: string, workspace: string, siteHost: string }, with_: { org?: boolean } = {}): SiteConfig {
  return {
    id: 'sim',
    site: handle.siteHost,
    cloudId: null,
    email: DEFAULT_CREDENTIALS.email,
    jiraApiToken: DEFAULT_CREDENTIALS.token,
    confluenceApiToken: DEFAULT_CREDENTIALS.token,
    bitbucketWorkspace: handle.workspace,
    bitbucketApiToken: DEFAULT_CREDENTIALS.token,
    bitbucketEmail: DEFAULT_CREDENTIALS.email,
    orgId: with_.org === false ? null : handle.orgId,
    orgApiKey: with_.org === false ? null : DEFAULT_CREDENTIALS.orgKey,
    baseUrls: { jira: url, confluence: url, bitbucket: `${url}/2.0`, admin: `${url}/admin` }
  }
}

t.test('the registry builds every source for every site', async (t) => {
  const clients = createClientFactory({ logger: pino({ level: 'silent' }) })
  t.teardown(clients.close)
  const connectors = createConnectors(clients)
  t.same(connectors.map((c) => c.source).sort(), Object.values(SourceId).sort(), 'one connector per source')
  const a = simSite('http://127.0.0.1:1', { orgId: 'o', workspace: 'w', siteHost: 'a' })
  const b = { ...simSite('http://127.0.0.1:1', { orgId: 'o', workspace: 'w', siteHost: 'b' }, { org: false }), id: 'b' }
  const entries = buildRegistry([a, b], connectors)
  t.equal(entries.length, connectors.length * 2)
  const orgB = entries.find((e) => e.site.id === 'b' && e.connector.source === SourceId.OrgEvents)
  t.match(orgB?.connector.notConfiguredReason(b), /requires Atlassian Guard/)
  t.equal(entries.find((e) => e.site.id === 'sim' && e.connector.source === SourceId.OrgEvents)?.connector.notConfiguredReason(a), null)
})

t.test('real connectors against the simulator: ground truth, then nothing new on a second run', async (t) => {
  const now = new Date(Date.now() - 60_000)
  const sim = await startSimulator({ seed: 7, size: { people: 20, events: 1500 }, guard: true, faults: 'none', now })
  t.teardown(sim.close)
  const site = simSite(sim.url, sim.handle)
  const app = await buildSyncApp(t, { sites: [site] }, { clients: FAST_CLIENTS })

  const started = await app.scheduler.syncNow()
  t.equal(started.filter((s) => s.status === 'started').length, Object.values(SourceId).length, 'every source started')
  await app.scheduler.whenIdle()

  const states = await app.scheduler.states.list()
  t.comment(states.map((s) => `${s.source}: ${s.last_run?.duration_ms ?? -1} ms, ${s.last_run?.pages ?? 0} pages`).join('; '))
  for (const s of states) {
    t.equal(s.availability, Availability.Ok, `${s.source} ok${s.last_error ? `: ${s.last_error}` : ''}`)
  }
  const events = app.mongo.db.collection('events')
  const from = new Date(Date.now() - 364 * 86_400_000)
  const truth = sim.handle.groundTruth(from, now)
  for (const source of GROUND_TRUTH_SOURCES) {
    const stored = await events.countDocuments({ source, occurred_at: { $gte: from, $lte: now } })
    t.equal(stored, truth[source], `${source}: exactly the simulator's ground truth`)
  }
  t.ok(GROUND_TRUTH_SOURCES.every((s) => (truth[s] ?? 0) > 0), 'every source has records to find')

  const before = await events.countDocuments({})
  await app.scheduler.syncNow()
  await app.scheduler.whenIdle()
  t.equal(await events.countDocuments({}), before, 'a second run inserts nothing new')
  const after = await app.scheduler.states.list()
  t.ok(after.every((s) => s.last_run?.inserted === 0), 'every source reports 0 inserted on the second run')
})

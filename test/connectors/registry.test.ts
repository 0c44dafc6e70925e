// End to end through the registry: the real connectors, read-only clients, scheduler and ingest against the simulator.
import t from 'tap'
import { Availability, SourceId, type SiteConfig } from '../../src/connectors/connector.js'
import { buildRegistry, createConnectors } from '../../src/connectors/registry.js'
import { createClientFactory } from '../../src/connectors/client-factory.js'
import { startSimulator, DEFAULT_CREDENTIALS, GROUND_TRUTH_SOURCES } from '../../src/simulator/index.js'
import pino from 'pino'
import { buildSyncApp } from '../scheduler/sync-app.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

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
  const sim = await startSimulator({ seed: 7, size: { people: 15, events: 700 }, guard: true, faults: 'none', now })
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

t.test('stopped mid-backfill with faults on, a new instance takes over and ends with exact ground truth', async (t) => {
  const now = new Date(Date.now() - 60_000)
  const sim = await startSimulator({ seed: 9, size: { people: 15, events: 700 }, guard: true, faults: 'default', now })
  t.teardown(sim.close)
  const site = simSite(sim.url, sim.handle)
  const mongo = await startTestMongo(t)
  const first = await buildSyncApp(t, { sites: [site] }, { clients: FAST_CLIENTS, holderId: 'first' }, mongo)
  await first.scheduler.syncNow()
  // Stop once some pages are committed: the shutdown aborts, each run finishes only its page in flight.
  const committed = async (): Promise<number> => await mongo.db.collection('connector_state').countDocuments({ checkpoint: { $ne: null } })
  for (let i = 0; i < 2000 && await committed() < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await first.close()
  const partial = await mongo.db.collection('events').countDocuments({})
  const second = await buildSyncApp(t, { sites: [site] }, { clients: FAST_CLIENTS, holderId: 'second' }, mongo)
  // As if the first process had been killed instead: its leases are left behind until they expire.
  const expiry = Date.now() + 1500
  for (const source of Object.values(SourceId)) {
    await mongo.db.collection('leases').updateOne({ _id: `sim|${source}` as never }, { $set: { holder: 'killed', expires_at: new Date(expiry) } }, { upsert: true })
  }
  t.ok((await second.scheduler.syncNow()).every((i) => i.status === 'running_elsewhere'), 'the dead holder\'s leases block until they expire')
  while (Date.now() <= expiry) await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok((await second.scheduler.syncNow()).every((i) => i.status === 'started'), 'then they are taken over')
  await second.scheduler.whenIdle()
  const from = new Date(Date.now() - 364 * 86_400_000)
  const truth = sim.handle.groundTruth(from, now)
  const events = mongo.db.collection('events')
  t.ok(partial < (await events.countDocuments({})), `the first instance had stopped part-way (${partial} events)`)
  for (const source of GROUND_TRUTH_SOURCES) {
    t.equal(await events.countDocuments({ source, occurred_at: { $gte: from, $lte: now } }), truth[source], `${source}: exact after the restart`)
  }
  t.ok(sim.handle.stats().faultsInjected, 'faults were injected')
  t.comment(`faults injected: ${JSON.stringify(sim.handle.stats().faultsInjected)}`)
})

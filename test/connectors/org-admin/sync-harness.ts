// Shared by the connector integration tests (not a test file): the in-process simulator, a real store with the real
// ingest, identities and teams, the real read-only clients, and a runner that keeps each source's checkpoint the way
// the scheduler does (round-tripped through JSON, like a stored document).
import type { Test } from 'tap'
import pino from 'pino'
import type { Db } from 'mongodb'
import { startSimulator, type FaultsOption, type SimulatorHandle } from '../../../src/simulator/index.js'
import { startTestMongo } from '../../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../../src/crypto/field-cipher.js'
import { createIngest } from '../../../src/events/ingest.js'
import { ensureEventIndexes } from '../../../src/events/event-indexes.js'
import { createIdentitiesRepository, type IdentitiesRepository } from '../../../src/identities/identities-repository.js'
import { createTeamsRepository, type TeamsRepository } from '../../../src/teams/teams-repository.js'
import { createClientFactory, type ClientFactory } from '../../../src/connectors/client-factory.js'
import { createDirectorySink } from '../../../src/connectors/directory/directory-sink.js'
import type { Checkpoint, Connector, RunOutcome, SiteConfig } from '../../../src/connectors/connector.js'

export const DAY = 24 * 60 * 60 * 1000
export const START = new Date('2026-06-01T00:00:00.000Z')

export interface Harness {
  sim: { url: string, handle: SimulatorHandle }
  db: Db
  site: SiteConfig
  clients: ClientFactory
  identities: IdentitiesRepository
  teams: TeamsRepository
  run: (connector: Connector, opts?: { signal?: AbortSignal }) => Promise<RunOutcome>
  checkpoints: Map<string, Checkpoint | null>
  /** Events of a source with occurred_at in [from, to]. */
  count: (source: string, from: Date, to: Date) => Promise<number>
}

export interface HarnessOptions {
  guard?: boolean
  faults?: FaultsOption
  seed?: number
  site?: Partial<SiteConfig>
}

export async function startHarness (t: Test, opts: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ seed: opts.seed ?? 7, size: 'small', guard: opts.guard ?? true, faults: opts.faults ?? 'default', now: START })
  t.teardown(sim.close)
  const mongo = await startTestMongo(t)
  const db = mongo.db
  const logger = pino({ level: 'silent' })
  const now = (): Date => sim.handle.clock.now()
  await ensureEventIndexes(db, logger)
  const keys = [generateFernetKey()]
  const cipher = createFieldCipher(keys)
  const blindIndex = createBlindIndex(keys)
  const identities = createIdentitiesRepository({ db, cipher, blindIndex, encryptDisplayNames: false, logger, now })
  const teams = createTeamsRepository({ db, logger, now })
  const ingest = createIngest({ db, logger, cipher, blindIndex, retentionSeconds: 31_536_000, encryptDisplayNames: false, now, identities, teams })
  // The documented limits stay in the client's defaults; against the loopback simulator they would only slow tests.
  const fast = { concurrency: 4, ratePerSecond: 10_000, burst: 10_000 }
  const clients = createClientFactory({
    logger,
    rateProfiles: { adminEvents: fast, admin: fast, bitbucket: fast, jira: fast },
    retry: { baseMs: 5, capMs: 50 }
  })
  t.teardown(clients.close)
  const site: SiteConfig = {
    id: 'acme.atlassian.net',
    site: 'acme.atlassian.net',
    cloudId: null,
    email: sim.handle.credentials.email,
    jiraApiToken: sim.handle.credentials.token,
    confluenceApiToken: null,
    bitbucketWorkspace: sim.handle.workspace,
    bitbucketApiToken: sim.handle.credentials.token,
    bitbucketEmail: sim.handle.credentials.email,
    orgId: sim.handle.orgId,
    orgApiKey: sim.handle.credentials.orgKey,
    baseUrls: { jira: sim.url, confluence: sim.url, bitbucket: `${sim.url}/2.0`, admin: `${sim.url}/admin` },
    ...opts.site
  }
  const checkpoints = new Map<string, Checkpoint | null>()
  const run = async (connector: Connector, runOpts: { signal?: AbortSignal } = {}): Promise<RunOutcome> => {
    return await connector.run({
      site,
      logger,
      signal: runOpts.signal ?? new AbortController().signal,
      now,
      checkpoint: checkpoints.get(connector.source) ?? null,
      ingest,
      commitCheckpoint: async (c) => { checkpoints.set(connector.source, JSON.parse(JSON.stringify(c)) as Checkpoint) },
      progress: () => {},
      directory: createDirectorySink(identities, teams, site.id)
    })
  }
  const count = async (source: string, from: Date, to: Date): Promise<number> =>
    await db.collection('events').countDocuments({ source, occurred_at: { $gte: from, $lte: to } })
  return { sim, db, site, clients, identities, teams, run, checkpoints, count }
}

// Runs Jira/Confluence connectors against the in-process simulator with the real ingest and store
// (not a test file). The checkpoint lives in memory between runs, as the scheduler would keep it.
import type { Test } from 'tap'
import pino from 'pino'
import { startSimulator, type FaultsOption, type SimulatorHandle } from '../../../src/simulator/index.js'
import { createRateLimiter, createReadOnlyClient, type ReadOnlyClient } from '../../../src/connectors/http/index.js'
import { createIngest } from '../../../src/events/ingest.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../../src/crypto/field-cipher.js'
import type { Checkpoint, Connector, RunOutcome, SiteConfig, SyncContext } from '../../../src/connectors/connector.js'
import type { EventDraft, IngestResult } from '../../../src/events/event.js'
import type { AtlassianConnectorDeps } from '../../../src/connectors/jira/site-api.js'
import { startTestMongo, type TestMongo } from '../../helpers/mongo-for-tests.js'
import { testSite } from './site-fixture.js'

export interface Harness {
  sim: SimulatorHandle
  url: string
  site: SiteConfig
  mongo: TestMongo
  deps: AtlassianConnectorDeps
  state: { checkpoint: Checkpoint | null, commits: number }
  run: (connector: Connector, opts?: { signal?: AbortSignal, onIngest?: (drafts: EventDraft[]) => void }) => Promise<RunOutcome>
  /** Stored events of a source with occurred_at in [from, to]. */
  count: (source: string, from: Date, to: Date) => Promise<number>
  /** Distinct source_record_ids of a source: equals count when nothing is stored twice. */
  duplicates: (source: string) => Promise<number>
}

const logger = pino({ level: 'silent' })

export async function startHarness (t: Test, faults: FaultsOption = 'default', now: Date = new Date()): Promise<Harness> {
  const simulator = await startSimulator({ seed: 7, size: 'small', faults, now })
  t.teardown(simulator.close)
  const mongo = await startTestMongo(t)
  const key = generateFernetKey()
  const ingest = createIngest({
    db: mongo.db,
    cipher: createFieldCipher([key]),
    blindIndex: createBlindIndex([key]),
    logger,
    retentionSeconds: 31_536_000,
    encryptDisplayNames: false,
    now: () => simulator.handle.clock.now()
  })
  const site = testSite(simulator.url)
  const clients = new Map<string, ReadOnlyClient>()
  // The simulator is local: lift the production pacing so tests spend their time on paging, not waiting.
  const fast = { concurrency: 8, ratePerSecond: 100_000, burst: 100_000 }
  const limiter = createRateLimiter({ profiles: { default: fast, jira: fast, confluence: fast } })
  const deps: AtlassianConnectorDeps = {
    clientFor (s, api) {
      let client = clients.get(api)
      if (client === undefined) {
        client = createReadOnlyClient({
          baseUrl: api === 'jira' ? s.baseUrls.jira! : s.baseUrls.confluence!,
          auth: { kind: 'basic', email: s.email!, token: api === 'jira' ? s.jiraApiToken! : s.confluenceApiToken! },
          logger,
          limiter,
          retry: { baseMs: 10, capMs: 100 }
        })
        clients.set(api, client)
      }
      return client
    }
  }
  t.teardown(async () => { for (const c of clients.values()) await c.close() })
  const state: Harness['state'] = { checkpoint: null, commits: 0 }
  const events = mongo.db.collection('events')
  return {
    sim: simulator.handle,
    url: simulator.url,
    site,
    mongo,
    deps,
    state,
    async run (connector, opts = {}) {
      const ctx: SyncContext = {
        site,
        logger,
        signal: opts.signal ?? new AbortController().signal,
        now: () => simulator.handle.clock.now(),
        checkpoint: state.checkpoint,
        ingest: async (drafts): Promise<IngestResult> => {
          opts.onIngest?.(drafts)
          return await ingest(drafts)
        },
        commitCheckpoint: async (cp) => { state.checkpoint = structuredClone(cp); state.commits++ },
        progress: () => {}
      }
      return await connector.run(ctx)
    },
    async count (source, from, to) {
      return await events.countDocuments({ source, occurred_at: { $gte: from, $lte: to } })
    },
    async duplicates (source) {
      const total = await events.countDocuments({ source })
      const distinct = await events.distinct('source_record_id', { source })
      return total - distinct.length
    }
  }
}

/** Fast but hostile: 5xx bursts, cut-off JSON, repeated cursors, odd records and one expired token, no waiting. */
export const HOSTILE_FAULTS = Object.freeze({ serverError: 0.05, burstMax: 4, truncated: 0.05, repeatCursor: 0.3, recordQuirks: 0.2, expiredTokenAt: 25 })

/** Runs until a run completes, as the scheduler would on its next ticks; returns how many runs failed first. */
export async function runUntilOk (h: Harness, connector: Connector, maxRuns = 10): Promise<number> {
  for (let failed = 0; failed < maxRuns; failed++) {
    try {
      const outcome = await h.run(connector)
      if (outcome.availability === 'ok') return failed
    } catch {
      // The failed page was not checkpointed; the next run resumes before it.
    }
  }
  throw new Error(`no successful run in ${maxRuns} attempts`)
}

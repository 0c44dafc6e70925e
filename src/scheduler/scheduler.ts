// The in-process sync scheduler: timers, one run per source at a time (locally by a map, across instances by a
// lease), per-page checkpoints through the SyncContext, Sync now and cancel. Sources run independently, so a
// failing or slow source never holds up another.
import { randomUUID } from 'node:crypto'
import type { Db } from 'mongodb'
import type { Logger } from 'pino'
import {
  Availability, type Checkpoint, type Connector, type DirectorySink, type RunOutcome, type RunProgress, type SiteConfig, type SourceId,
  type SyncContext
} from '../connectors/connector.js'
import type { EventDraft, IngestResult } from '../events/event.js'
import {
  createConnectorStateRepository, RunResult, RunTrigger, stateKey, type ConnectorStateRepository, type RunningDoc
} from './connector-state-repository.js'
import { CheckpointOrderError, LeaseLostError, SchedulerClosedError, SyncCancelledError } from './errors.js'
import { createLeaseStore, type LeaseStore } from './lease-store.js'
import { sanitizeErrorMessage } from './sanitize-error.js'

export interface ConnectorEntry {
  site: SiteConfig
  connector: Connector
}

export type IngestFn = (drafts: EventDraft[]) => Promise<IngestResult>

export interface SchedulerOptions {
  db: Db
  entries: readonly ConnectorEntry[]
  ingest: IngestFn
  logger: Logger
  intervalMs: number
  /** Identifies this instance in leases; random by default. */
  holderId?: string
  /** Lease lifetime; renewed every third of it while a run is active (default 60 s). */
  leaseTtlMs?: number
  /** Least time between two progress writes of one run (default 1 s); checkpoints always write. */
  progressWriteMs?: number
  now?: () => Date
  /** Gives the directory connector its way into identities and teams. */
  directorySink?: (site: SiteConfig) => DirectorySink
}

export const SyncStatus = Object.freeze({
  Started: 'started',
  AlreadyRunning: 'already_running',
  RunningElsewhere: 'running_elsewhere',
  NotDue: 'not_due',
  NotConfigured: 'not_configured'
} as const)
export type SyncStatus = typeof SyncStatus[keyof typeof SyncStatus]

export interface SyncNowItem {
  site: string
  source: SourceId
  status: SyncStatus
  reason: string | null
}

export interface CancelItem {
  site: string
  source: SourceId
  /** True when a run was active (here: aborted now; elsewhere: asked to stop at its next heartbeat). */
  cancelled: boolean
}

export interface Scheduler {
  readonly holderId: string
  readonly entries: readonly ConnectorEntry[]
  readonly intervalMs: number
  readonly states: ConnectorStateRepository
  readonly leases: LeaseStore
  /** Creates missing connector_state documents (one per entry). */
  init: () => Promise<void>
  /** Starts the interval timer (unref'd) and runs a first tick. */
  start: () => void
  /** Stops timers, aborts local runs and waits for each to finish its in-flight page. */
  close: () => Promise<void>
  /** Starts every due source; resolves once they have started (not finished). */
  tick: () => Promise<SyncNowItem[]>
  /** Starts a run of every matching source, or reports the one in progress. */
  syncNow: (siteId?: string, source?: SourceId) => Promise<SyncNowItem[]>
  cancel: (siteId?: string, source?: SourceId) => Promise<CancelItem[]>
  /** True while this instance runs that source. */
  isRunningHere: (siteId: string, source: SourceId) => boolean
  /** Resolves when no local run is active (tests, benchmarks). */
  whenIdle: () => Promise<void>
  matching: (siteId?: string, source?: SourceId) => ConnectorEntry[]
}

interface LocalRun {
  controller: AbortController
  done: Promise<void>
}

const DEFAULT_LEASE_TTL_MS = 60_000

export function createScheduler (options: SchedulerOptions): Scheduler {
  const { db, entries, ingest, intervalMs } = options
  const log = options.logger.child({ component: 'scheduler' })
  const now = options.now ?? (() => new Date())
  const holderId = options.holderId ?? `${process.pid}-${randomUUID()}`
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
  const progressWriteMs = options.progressWriteMs ?? 1000
  // A timer firing slightly early must still count as due.
  const dueToleranceMs = Math.floor(intervalMs / 10)
  const states = createConnectorStateRepository(db, now)
  const leases = createLeaseStore(db, { ttlMs: leaseTtlMs, now })
  const running = new Map<string, LocalRun>()
  // Keys between "decided to launch" and "registered in running": guards concurrent ticks/syncNow calls.
  const launching = new Set<string>()
  let timer: NodeJS.Timeout | null = null
  let closed = false

  function matching (siteId?: string, source?: SourceId): ConnectorEntry[] {
    return entries.filter((e) => (siteId === undefined || e.site.id === siteId) && (source === undefined || e.connector.source === source))
  }

  async function init (): Promise<void> {
    for (const e of entries) await states.ensure(e.site.id, e.connector.source, e.connector.label)
  }

  async function launch (entry: ConnectorEntry, trigger: RunTrigger, firedAt: Date): Promise<SyncNowItem> {
    const siteId = entry.site.id
    const source = entry.connector.source
    const key = stateKey(siteId, source)
    const item = (status: SyncStatus, reason: string | null = null): SyncNowItem => ({ site: siteId, source, status, reason })
    if (closed) throw new SchedulerClosedError()
    if (running.has(key) || launching.has(key)) return item(SyncStatus.AlreadyRunning)
    const notConfigured = entry.connector.notConfiguredReason(entry.site)
    if (notConfigured !== null) {
      await states.markNotConfigured(siteId, source, notConfigured)
      return item(SyncStatus.NotConfigured, notConfigured)
    }
    launching.add(key)
    try {
      if (!await leases.acquire(key, holderId)) return item(SyncStatus.RunningElsewhere)
      // Read state only under the lease: another instance may have just finished this interval's run.
      const state = await states.get(siteId, source)
      const t = now()
      if (trigger === RunTrigger.Timer && state?.next_run_at != null && t.getTime() < state.next_run_at.getTime() - dueToleranceMs) {
        await leases.release(key, holderId)
        return item(SyncStatus.NotDue)
      }
      const runningDoc: RunningDoc = {
        holder: holderId, trigger, started_at: t, heartbeat_at: t, pages: 0, records: 0, inserted: 0, window: null
      }
      // From the timer's firing time, not the launch: launch latency must not push the schedule back each interval.
      await states.startRun(siteId, source, runningDoc, new Date(firedAt.getTime() + intervalMs))
      const controller = new AbortController()
      const done = execute(entry, key, controller, state?.checkpoint ?? null, t)
        .catch((err: unknown) => { log.error({ site: siteId, source, err: sanitizeErrorMessage(err) }, 'sync bookkeeping failed') })
        .finally(() => { running.delete(key) })
      running.set(key, { controller, done })
      return item(SyncStatus.Started)
    } catch (err) {
      await leases.release(key, holderId).catch(() => {})
      throw err
    } finally {
      launching.delete(key)
    }
  }

  async function execute (entry: ConnectorEntry, key: string, controller: AbortController, checkpoint: Checkpoint | null, startedAt: Date): Promise<void> {
    const { site, connector } = entry
    const source = connector.source
    const runLog = log.child({ site: site.id, source })
    const progress: RunProgress = { pages: 0, records: 0, inserted: 0, window: null }
    const pendingIngests = new Set<Promise<unknown>>()
    let ingestFailure: unknown = null
    let lastProgressWrite = 0
    let progressWrite: Promise<unknown> = Promise.resolve()

    const writeProgress = (): void => {
      lastProgressWrite = Date.now()
      progressWrite = progressWrite.then(async () => {
        const { cancelRequested } = await states.progress(site.id, source, holderId, { ...progress })
        if (cancelRequested && !controller.signal.aborted) controller.abort(new SyncCancelledError(key, 'cancelled by an operator'))
      }).catch((err: unknown) => { runLog.warn({ err: sanitizeErrorMessage(err) }, 'progress write failed') })
    }
    const heartbeat = setInterval(() => {
      leases.renew(key, holderId).then((held) => {
        if (!held && !controller.signal.aborted) controller.abort(new LeaseLostError(key))
      }).catch((err: unknown) => { runLog.warn({ err: sanitizeErrorMessage(err) }, 'lease renewal failed') })
      writeProgress()
    }, Math.max(50, Math.floor(leaseTtlMs / 3)))
    heartbeat.unref()

    const ctx: SyncContext = {
      site,
      logger: runLog,
      signal: controller.signal,
      now,
      checkpoint,
      ingest: async (drafts) => {
        const p = ingest(drafts)
        pendingIngests.add(p)
        try {
          const result = await p
          progress.pages += 1
          progress.records += result.received
          progress.inserted += result.inserted
          if (Date.now() - lastProgressWrite >= progressWriteMs) writeProgress()
          return result
        } catch (err) {
          ingestFailure = err
          throw err
        } finally {
          pendingIngests.delete(p)
        }
      },
      commitCheckpoint: async (next) => {
        // Ordering: the page's events must be durable before the checkpoint moves past them.
        if (pendingIngests.size > 0) await Promise.allSettled([...pendingIngests])
        if (ingestFailure !== null) throw new CheckpointOrderError('an ingest of this run failed, so its events are not durable')
        const ours = await states.commitCheckpoint(site.id, source, holderId, next, { ...progress })
        if (!ours) throw new LeaseLostError(key)
      },
      progress: (update) => {
        if (update.pages !== undefined) progress.pages = update.pages
        if (update.records !== undefined) progress.records = update.records
        if (update.inserted !== undefined) progress.inserted = update.inserted
        if (update.window !== undefined) progress.window = update.window
        if (Date.now() - lastProgressWrite >= progressWriteMs) writeProgress()
      },
      ...(options.directorySink !== undefined ? { directory: options.directorySink(site) } : {})
    }

    let outcome: RunOutcome | null = null
    let failure: unknown = null
    try {
      outcome = await connector.run(ctx)
    } catch (err) {
      failure = err
    }
    clearInterval(heartbeat)
    await progressWrite
    const durationMs = Date.now() - startedAt.getTime()
    const secrets = [site.jiraApiToken, site.confluenceApiToken, site.bitbucketApiToken, site.orgApiKey, site.email, site.bitbucketEmail]
    try {
      if (outcome !== null && failure === null) {
        const counts = {
          pages: Math.max(outcome.pages, progress.pages),
          records: Math.max(outcome.records, progress.records),
          inserted: Math.max(outcome.inserted, progress.inserted)
        }
        await states.finishRun(site.id, source, holderId, {
          result: outcome.availability === Availability.Ok ? RunResult.Ok
            : outcome.availability === Availability.Unavailable ? RunResult.Unavailable
              : outcome.availability === Availability.NotConfigured ? RunResult.NotConfigured : RunResult.Error,
          availability: outcome.availability,
          reason: outcome.reason === undefined ? null : sanitizeErrorMessage(outcome.reason, secrets),
          error: outcome.availability === Availability.Error ? sanitizeErrorMessage(outcome.reason ?? 'The connector reported an error', secrets) : null,
          counts,
          durationMs,
          ...(outcome.credentialExpiresAt !== undefined ? { credentialExpiresAt: outcome.credentialExpiresAt } : {})
        })
        runLog.info({ ...counts, durationMs, availability: outcome.availability }, 'sync run finished')
      } else if (controller.signal.aborted) {
        const reason: unknown = controller.signal.reason
        await states.finishRun(site.id, source, holderId, {
          result: RunResult.Cancelled,
          availability: null,
          reason: null,
          error: sanitizeErrorMessage(reason, secrets),
          counts: { pages: progress.pages, records: progress.records, inserted: progress.inserted },
          durationMs
        })
        runLog.info({ pages: progress.pages, inserted: progress.inserted }, 'sync run stopped')
      } else {
        const message = sanitizeErrorMessage(failure, secrets)
        await states.finishRun(site.id, source, holderId, {
          result: RunResult.Error,
          availability: Availability.Error,
          reason: message,
          error: message,
          counts: { pages: progress.pages, records: progress.records, inserted: progress.inserted },
          durationMs
        })
        runLog.warn({ pages: progress.pages, err: message }, 'sync run failed')
      }
    } finally {
      await leases.release(key, holderId)
    }
  }

  async function launchAll (list: ConnectorEntry[], trigger: RunTrigger): Promise<SyncNowItem[]> {
    const firedAt = now()
    // Each source on its own: one failing launch (e.g. a store hiccup) must not stop the others.
    const settled = await Promise.allSettled(list.map(async (e) => await launch(e, trigger, firedAt)))
    return settled.map((s, i) => {
      if (s.status === 'fulfilled') return s.value
      const e = list[i] as ConnectorEntry
      log.error({ site: e.site.id, source: e.connector.source, err: sanitizeErrorMessage(s.reason) }, 'sync launch failed')
      return { site: e.site.id, source: e.connector.source, status: SyncStatus.RunningElsewhere, reason: sanitizeErrorMessage(s.reason) }
    })
  }

  async function tick (): Promise<SyncNowItem[]> {
    if (closed) return []
    return await launchAll([...entries], RunTrigger.Timer)
  }

  async function syncNow (siteId?: string, source?: SourceId): Promise<SyncNowItem[]> {
    if (closed) throw new SchedulerClosedError()
    return await launchAll(matching(siteId, source), RunTrigger.Manual)
  }

  async function cancel (siteId?: string, source?: SourceId): Promise<CancelItem[]> {
    const out: CancelItem[] = []
    for (const e of matching(siteId, source)) {
      const key = stateKey(e.site.id, e.connector.source)
      const local = running.get(key)
      let cancelled = false
      if (local !== undefined) {
        local.controller.abort(new SyncCancelledError(key, 'cancelled by an operator'))
        cancelled = true
      }
      // Also flag it in the store: a run on another instance sees the flag at its next heartbeat.
      if (await states.requestCancel(e.site.id, e.connector.source)) cancelled = true
      out.push({ site: e.site.id, source: e.connector.source, cancelled })
    }
    return out
  }

  function start (): void {
    if (timer !== null || closed) return
    const fire = (): void => {
      tick().catch((err: unknown) => { log.error({ err: sanitizeErrorMessage(err) }, 'scheduler tick failed') })
    }
    timer = setInterval(fire, intervalMs)
    timer.unref()
    fire()
  }

  async function whenIdle (): Promise<void> {
    while (running.size > 0 || launching.size > 0) {
      await Promise.all([...running.values()].map(async (r) => await r.done))
      if (launching.size > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  async function close (): Promise<void> {
    closed = true
    if (timer !== null) clearInterval(timer)
    timer = null
    for (const [key, r] of running) r.controller.abort(new SyncCancelledError(key, 'the app is shutting down'))
    await whenIdle()
  }

  return {
    holderId,
    entries,
    intervalMs,
    states,
    leases,
    init,
    start,
    close,
    tick,
    syncNow,
    cancel,
    isRunningHere: (siteId, source) => running.has(stateKey(siteId, source)),
    whenIdle,
    matching
  }
}

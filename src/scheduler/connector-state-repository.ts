// connector_state: one document per site × source — checkpoint, last run/success/error, counts, availability and,
// while a run is active, its live progress. Only the scheduler writes it; pages and the API read it.
import type { Collection, Db } from 'mongodb'
import { Availability, type Checkpoint, type RunProgress, type SourceId } from '../connectors/connector.js'

export const CONNECTOR_STATE_COLLECTION = 'connector_state'

export const RunTrigger = Object.freeze({ Timer: 'timer', Manual: 'manual' } as const)
export type RunTrigger = typeof RunTrigger[keyof typeof RunTrigger]

export const RunResult = Object.freeze({
  Ok: 'ok',
  Error: 'error',
  Unavailable: 'unavailable',
  NotConfigured: 'not_configured',
  Cancelled: 'cancelled'
} as const)
export type RunResult = typeof RunResult[keyof typeof RunResult]

export interface RunningDoc extends RunProgress {
  holder: string
  trigger: RunTrigger
  started_at: Date
  heartbeat_at: Date
}

export interface RunCounts {
  pages: number
  records: number
  inserted: number
}

export interface ConnectorStateDoc {
  _id: string
  site_id: string
  source: SourceId
  label: string
  checkpoint: Checkpoint | null
  checkpoint_at: Date | null
  availability: Availability
  reason: string | null
  last_run_at: Date | null
  last_finished_at: Date | null
  last_success_at: Date | null
  last_result: RunResult | null
  /** Sanitised message only (sanitizeErrorMessage): never a token, URL query or credential. */
  last_error: string | null
  last_error_at: Date | null
  last_run: (RunCounts & { duration_ms: number }) | null
  totals: RunCounts & { runs: number }
  running: RunningDoc | null
  next_run_at: Date | null
  cancel_requested: boolean
  /** When the API reported the credential's expiry (null: not reported). */
  credential_expires_at: Date | null
  created_at: Date
  updated_at: Date
}

export interface FinishRun {
  result: RunResult
  /** null keeps the current availability and reason (a cancelled run says nothing about the source). */
  availability: Availability | null
  reason: string | null
  error: string | null
  counts: RunCounts
  durationMs: number
  credentialExpiresAt?: Date | null
}

export interface ConnectorStateRepository {
  ensure: (siteId: string, source: SourceId, label: string) => Promise<void>
  get: (siteId: string, source: SourceId) => Promise<ConnectorStateDoc | null>
  list: () => Promise<ConnectorStateDoc[]>
  markNotConfigured: (siteId: string, source: SourceId, reason: string) => Promise<void>
  startRun: (siteId: string, source: SourceId, running: RunningDoc, nextRunAt: Date) => Promise<void>
  /** Writes live progress; returns whether a cancel was requested (possibly by another instance). */
  progress: (siteId: string, source: SourceId, holder: string, progress: RunProgress) => Promise<{ cancelRequested: boolean }>
  /** Durable checkpoint write; false when the run no longer belongs to this holder. */
  commitCheckpoint: (siteId: string, source: SourceId, holder: string, checkpoint: Checkpoint, progress: RunProgress) => Promise<boolean>
  finishRun: (siteId: string, source: SourceId, holder: string, finish: FinishRun) => Promise<void>
  requestCancel: (siteId: string, source: SourceId) => Promise<boolean>
  collection: Collection<ConnectorStateDoc>
}

export function stateKey (siteId: string, source: SourceId): string {
  return `${siteId}|${source}`
}

export function createConnectorStateRepository (db: Db, now: () => Date = () => new Date()): ConnectorStateRepository {
  const col = db.collection<ConnectorStateDoc>(CONNECTOR_STATE_COLLECTION)

  async function ensure (siteId: string, source: SourceId, label: string): Promise<void> {
    const t = now()
    await col.updateOne({ _id: stateKey(siteId, source) }, {
      $set: { label },
      $setOnInsert: {
        site_id: siteId,
        source,
        checkpoint: null,
        checkpoint_at: null,
        availability: Availability.Ok,
        reason: null,
        last_run_at: null,
        last_finished_at: null,
        last_success_at: null,
        last_result: null,
        last_error: null,
        last_error_at: null,
        last_run: null,
        totals: { runs: 0, pages: 0, records: 0, inserted: 0 },
        running: null,
        next_run_at: null,
        cancel_requested: false,
        credential_expires_at: null,
        created_at: t,
        updated_at: t
      }
    }, { upsert: true })
  }

  async function get (siteId: string, source: SourceId): Promise<ConnectorStateDoc | null> {
    return await col.findOne({ _id: stateKey(siteId, source) })
  }

  async function list (): Promise<ConnectorStateDoc[]> {
    return await col.find({}).sort({ site_id: 1, source: 1 }).toArray()
  }

  async function markNotConfigured (siteId: string, source: SourceId, reason: string): Promise<void> {
    await col.updateOne({ _id: stateKey(siteId, source) }, {
      $set: { availability: Availability.NotConfigured, reason, last_result: RunResult.NotConfigured, updated_at: now() }
    })
  }

  async function startRun (siteId: string, source: SourceId, running: RunningDoc, nextRunAt: Date): Promise<void> {
    await col.updateOne({ _id: stateKey(siteId, source) }, {
      $set: { running, last_run_at: running.started_at, next_run_at: nextRunAt, cancel_requested: false, updated_at: now() }
    })
  }

  function progressSet (p: RunProgress, t: Date): Record<string, unknown> {
    return {
      'running.pages': p.pages,
      'running.records': p.records,
      'running.inserted': p.inserted,
      'running.window': p.window,
      'running.heartbeat_at': t,
      updated_at: t
    }
  }

  async function progress (siteId: string, source: SourceId, holder: string, p: RunProgress): Promise<{ cancelRequested: boolean }> {
    const doc = await col.findOneAndUpdate(
      { _id: stateKey(siteId, source), 'running.holder': holder },
      { $set: progressSet(p, now()) },
      { returnDocument: 'after', projection: { cancel_requested: 1 } }
    )
    return { cancelRequested: doc?.cancel_requested === true }
  }

  async function commitCheckpoint (siteId: string, source: SourceId, holder: string, checkpoint: Checkpoint, p: RunProgress): Promise<boolean> {
    const t = now()
    const res = await col.updateOne(
      { _id: stateKey(siteId, source), 'running.holder': holder },
      { $set: { checkpoint, checkpoint_at: t, ...progressSet(p, t) } }
    )
    return res.matchedCount === 1
  }

  async function finishRun (siteId: string, source: SourceId, holder: string, f: FinishRun): Promise<void> {
    const t = now()
    const set: Record<string, unknown> = {
      running: null,
      cancel_requested: false,
      last_finished_at: t,
      last_result: f.result,
      last_run: { ...f.counts, duration_ms: f.durationMs },
      updated_at: t
    }
    if (f.availability !== null) {
      set.availability = f.availability
      set.reason = f.reason
    }
    if (f.result === RunResult.Ok) set.last_success_at = t
    if (f.error !== null) {
      set.last_error = f.error
      set.last_error_at = t
    } else if (f.result === RunResult.Ok || f.result === RunResult.Unavailable) {
      set.last_error = null
    }
    if (f.credentialExpiresAt !== undefined) set.credential_expires_at = f.credentialExpiresAt
    await col.updateOne({ _id: stateKey(siteId, source), 'running.holder': holder }, {
      $set: set,
      $inc: { 'totals.runs': 1, 'totals.pages': f.counts.pages, 'totals.records': f.counts.records, 'totals.inserted': f.counts.inserted }
    })
  }

  async function requestCancel (siteId: string, source: SourceId): Promise<boolean> {
    const res = await col.updateOne({ _id: stateKey(siteId, source), running: { $ne: null } }, { $set: { cancel_requested: true } })
    return res.matchedCount === 1
  }

  return { ensure, get, list, markNotConfigured, startRun, progress, commitCheckpoint, finishRun, requestCancel, collection: col }
}

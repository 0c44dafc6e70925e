// The per-source status that the connectors page and GET /api/v1/sync/status show: connector_state joined with the
// live leases (a run counts as active only while its holder still holds the lease), plus warnings.
import { Availability, type SourceId } from '../connectors/connector.js'
import { stateKey, type ConnectorStateDoc, type RunResult } from './connector-state-repository.js'
import type { LeaseDoc } from './lease-store.js'
import type { ConnectorEntry, Scheduler } from './scheduler.js'

/** A credential expiring within this many days is flagged on the page. */
export const EXPIRY_WARNING_DAYS = 14
/** A source without a successful run for longer than this many intervals is flagged as silent. */
export const SILENT_INTERVALS = 3

export interface RunningView {
  trigger: string
  startedAt: string
  pages: number
  records: number
  inserted: number
  window: string | null
}

export interface SourceStatusView {
  site: string
  source: SourceId
  label: string
  /** DOM id of the card. */
  cardId: string
  availability: Availability
  reason: string | null
  running: RunningView | null
  lastRunAt: string | null
  lastFinishedAt: string | null
  lastSuccessAt: string | null
  lastResult: RunResult | null
  lastError: string | null
  lastErrorAt: string | null
  lastRun: { pages: number, records: number, inserted: number, durationMs: number } | null
  totals: { runs: number, pages: number, records: number, inserted: number }
  checkpointAt: string | null
  nextRunAt: string | null
  /** ISO date, or null when the API does not report the credential's expiry. */
  credentialExpiresAt: string | null
  warnings: string[]
}

export function cardId (siteId: string, source: SourceId): string {
  return `card-${source}-${Buffer.from(siteId, 'utf8').toString('hex')}`
}

export function buildSourceStatus (
  entry: ConnectorEntry, state: ConnectorStateDoc | null, leases: Map<string, LeaseDoc>, now: Date, intervalMs: number
): SourceStatusView {
  const { site, connector } = entry
  const key = stateKey(site.id, connector.source)
  const notConfigured = connector.notConfiguredReason(site)
  const lease = leases.get(key)
  const active = state?.running != null && lease !== undefined && lease.holder === state.running.holder
  const iso = (d: Date | null | undefined): string | null => (d instanceof Date ? d.toISOString() : null)
  const availability = notConfigured !== null ? Availability.NotConfigured : (state?.availability ?? Availability.Ok)
  const reason = notConfigured ?? state?.reason ?? null
  const warnings: string[] = []
  if (availability === Availability.Ok || availability === Availability.Error) {
    const since = state?.last_success_at ?? state?.created_at ?? null
    if (since !== null && now.getTime() - since.getTime() > SILENT_INTERVALS * intervalMs) {
      warnings.push(state?.last_success_at != null
        ? `Silent: no successful sync since ${since.toISOString()} (more than ${SILENT_INTERVALS} intervals).`
        : `Silent: no successful sync yet, for more than ${SILENT_INTERVALS} intervals.`)
    }
  }
  if (availability === Availability.Error && /HTTP 401|ATL_HTTP_AUTH|expired/i.test(state?.last_error ?? '')) {
    warnings.push('Atlassian rejected the API key or token (HTTP 401): it may have expired or been revoked.')
  }
  const expires = state?.credential_expires_at ?? null
  if (expires !== null && expires.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * 86_400_000) {
    warnings.push(expires.getTime() <= now.getTime()
      ? `The API key or token expired on ${expires.toISOString()}.`
      : `The API key or token expires on ${expires.toISOString()}.`)
  }
  return {
    site: site.id,
    source: connector.source,
    label: connector.label,
    cardId: cardId(site.id, connector.source),
    availability,
    reason,
    running: active && state?.running != null
      ? {
          trigger: state.running.trigger,
          startedAt: state.running.started_at.toISOString(),
          pages: state.running.pages,
          records: state.running.records,
          inserted: state.running.inserted,
          window: state.running.window
        }
      : null,
    lastRunAt: iso(state?.last_run_at),
    lastFinishedAt: iso(state?.last_finished_at),
    lastSuccessAt: iso(state?.last_success_at),
    lastResult: state?.last_result ?? null,
    lastError: state?.last_error ?? null,
    lastErrorAt: iso(state?.last_error_at),
    lastRun: state?.last_run != null
      ? { pages: state.last_run.pages, records: state.last_run.records, inserted: state.last_run.inserted, durationMs: state.last_run.duration_ms }
      : null,
    totals: state?.totals ?? { runs: 0, pages: 0, records: 0, inserted: 0 },
    checkpointAt: iso(state?.checkpoint_at),
    nextRunAt: iso(state?.next_run_at),
    credentialExpiresAt: iso(expires),
    warnings
  }
}

/** Status of every configured source (optionally filtered), in configuration order. */
export async function loadSyncStatus (scheduler: Scheduler, now: Date, siteId?: string, source?: SourceId): Promise<SourceStatusView[]> {
  const [states, leases] = await Promise.all([scheduler.states.list(), scheduler.leases.active()])
  const byKey = new Map(states.map((s) => [s._id, s]))
  return scheduler.matching(siteId, source).map((e) =>
    buildSourceStatus(e, byKey.get(stateKey(e.site.id, e.connector.source)) ?? null, leases, now, scheduler.intervalMs))
}

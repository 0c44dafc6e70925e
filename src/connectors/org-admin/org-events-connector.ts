// Organisation audit events through the polling API (events-stream): cursor paging ordered by processedAt,
// checkpointed page by page. Without Atlassian Guard the org answers 401/403/404 (or nothing): we say so and invent nothing.
import { Availability, SourceId, type Connector, type RunOutcome, type SiteConfig, type SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { asArray, asRecord, asString, formatWindow, throwIfAborted } from '../jira/site-api.js'
import { REQUIRES_GUARD, httpStatusOf, isGuardDenial, type AdminConnectorDeps, type Query } from './admin-api.js'
import { mapOrgEvent, processedAtOf } from './org-events-mapper.js'

const RETENTION_MS = 365 * 24 * 60 * 60 * 1000
/** A server that hands back the cursor it was given (a known fault) gets a few more tries before we stop the sweep. */
const MAX_REPEATED_CURSOR = 3
/** When a stored cursor is refused, re-open the stream this far before the newest processedAt we wrote:
 *  `from` filters on event time, which may trail processedAt; the re-read is idempotent. */
const REOPEN_OVERLAP_MS = 24 * 60 * 60 * 1000

export interface OrgEventsCheckpoint {
  /** The last cursor the stream returned: the next poll resumes exactly there (it is present even on the last page). */
  cursor: string | null
  /** processedAt of the newest event written; shown as progress and used if the cursor is ever rejected. */
  lastProcessedAt: number | null
  /** Whether this org has ever returned an event: an org that never has is treated as lacking Guard. */
  seenAny: boolean
}

export function orgEventsNotConfiguredReason (site: SiteConfig): string | null {
  if (site.orgId === null || site.orgApiKey === null) {
    return `Organisation events need an org id and an org API key (ATLASLENS_ORG_ID, ATLASLENS_ORG_API_KEY); sign-in events and the Bitbucket audit log ${REQUIRES_GUARD}`
  }
  return null
}

function readCheckpoint (raw: SyncContext['checkpoint']): OrgEventsCheckpoint {
  const c = asRecord(raw)
  return {
    cursor: asString(c.cursor),
    lastProcessedAt: typeof c.lastProcessedAt === 'number' ? c.lastProcessedAt : null,
    seenAny: c.seenAny === true
  }
}

/** The cursor for the next request: meta.next, or the cursor parameter of links.next. */
export function nextCursorOf (page: unknown): string | null {
  const p = asRecord(page)
  const meta = asString(asRecord(p.meta).next)
  if (meta !== null && meta !== '') return meta
  const link = asString(asRecord(p.links).next)
  if (link === null || link === '') return null
  try {
    return new URL(link, 'https://placeholder.invalid').searchParams.get('cursor')
  } catch {
    return null
  }
}

export function createOrgEventsConnector (deps: AdminConnectorDeps): Connector {
  const pageSize = deps.pageSize ?? 200
  return {
    source: SourceId.OrgEvents,
    label: 'Organisation audit log (sign-ins, Bitbucket audit)',
    notConfiguredReason: orgEventsNotConfiguredReason,
    async run (ctx: SyncContext): Promise<RunOutcome> {
      const outcome: RunOutcome = { availability: Availability.Ok, pages: 0, records: 0, inserted: 0 }
      const notConfigured = orgEventsNotConfiguredReason(ctx.site)
      if (notConfigured !== null) return { ...outcome, availability: Availability.NotConfigured, reason: notConfigured }
      const api = deps.clientFor(ctx.site)
      const path = `/v1/orgs/${encodeURIComponent(ctx.site.orgId as string)}/events-stream`
      const state = readCheckpoint(ctx.checkpoint)
      const retentionFrom = ctx.now().getTime() - RETENTION_MS
      let startFrom = retentionFrom
      let cursor = state.cursor
      let repeats = 0
      // The next page, requested while the current one is written (one page ahead, so memory stays flat).
      let ahead: { cursor: string, page: Promise<unknown> } | null = null
      ctx.progress({ window: cursor === null ? formatWindow(startFrom, ctx.now().getTime()) : 'resuming from the stored cursor' })

      for (;;) {
        throwIfAborted(ctx.signal)
        // The first request opens the stream at the retention bound; every later one carries only the cursor.
        const query: Query = cursor === null ? { from: startFrom, limit: pageSize } : { cursor, limit: pageSize }
        let page: unknown
        try {
          const prefetched = ahead !== null && ahead.cursor === cursor ? ahead.page : null
          ahead = null
          page = await (prefetched ?? api.get(path, query, { signal: ctx.signal }))
        } catch (err) {
          const status = httpStatusOf(err)
          if (status === 400 && cursor !== null && cursor === state.cursor) {
            // A stored cursor the server no longer accepts (expired, format change): re-open from the time watermark.
            ctx.logger.warn({ source: SourceId.OrgEvents }, 'stored events-stream cursor refused; re-opening the stream from the last processed time')
            startFrom = state.lastProcessedAt === null ? retentionFrom : Math.max(retentionFrom, state.lastProcessedAt - REOPEN_OVERLAP_MS)
            cursor = null
            state.cursor = null
            continue
          }
          if (isGuardDenial(status)) {
            return {
              ...outcome,
              availability: Availability.Unavailable,
              reason: `${REQUIRES_GUARD}: the organisation events API answered HTTP ${String(status)} for events-stream ` +
                '(sign-in events and the Bitbucket audit log are only readable with Atlassian Guard Standard or higher)'
            }
          }
          throw err
        }
        const records = asArray(asRecord(page).data)
        const next = nextCursorOf(page)
        if (records.length === 0) {
          // The cursor comes back even on the last page: an empty page ends the sweep; keep its cursor for the next poll.
          if (next !== null && next !== state.cursor) {
            state.cursor = next
            await ctx.commitCheckpoint({ ...state })
          }
          break
        }
        outcome.pages++
        outcome.records += records.length
        const drafts: EventDraft[] = []
        for (const record of records) {
          const draft = mapOrgEvent(record, ctx.site)
          if (draft !== null) drafts.push(draft)
          const processed = processedAtOf(record)
          if (processed !== null && (state.lastProcessedAt === null || processed > state.lastProcessedAt)) state.lastProcessedAt = processed
        }
        if (next !== null) {
          // Dropped unread if this page fails (caught here); a refused cursor surfaces when it is awaited above.
          ahead = { cursor: next, page: api.get(path, { cursor: next, limit: pageSize }, { signal: ctx.signal }) }
          ahead.page.catch(() => {})
        }
        // Durable first, then the checkpoint: a kill between the two repeats one page, which upserts to nothing new.
        const result = await ctx.ingest(drafts)
        outcome.inserted += result.inserted
        state.seenAny = true
        if (next === null) {
          await ctx.commitCheckpoint({ ...state })
          break
        }
        repeats = next === cursor ? repeats + 1 : 0
        state.cursor = next
        await ctx.commitCheckpoint({ ...state })
        ctx.progress({ pages: outcome.pages, records: outcome.records, inserted: outcome.inserted })
        if (repeats > MAX_REPEATED_CURSOR) {
          ctx.logger.warn({ source: SourceId.OrgEvents, pages: outcome.pages }, 'events-stream kept returning the same cursor; ending this sweep')
          break
        }
        cursor = next
      }
      ctx.progress({ pages: outcome.pages, records: outcome.records, inserted: outcome.inserted })
      if (!state.seenAny) {
        return {
          ...outcome,
          availability: Availability.Unavailable,
          reason: `${REQUIRES_GUARD}: the organisation events API answered with no events at all for the last 365 days, ` +
            'which is what an org without Atlassian Guard sees; nothing was stored'
        }
      }
      return outcome
    }
  }
}

// Shared run loop for offset-paged audit logs with an inclusive time window (Jira and Confluence audit).
// The window is cut into bounded chunks, oldest first; the checkpoint is committed after every page's ingest,
// so a kill loses at most the page in flight and a restart resumes the same chunk at the same offset.
import type { Checkpoint, RunOutcome, SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { Availability } from '../connector.js'
import { DAY_MS, MINUTE_MS, RETENTION_MS, formatWindow, throwIfAborted } from './site-api.js'

export interface AuditPage {
  records: unknown[]
  /** True when the source says there is nothing after this page. */
  last: boolean
}

export interface AuditWindowOptions {
  pageSize: number
  /** Backfill chunk length; a window never spans more than this. */
  chunkMs: number
  /** Re-read this much before the watermark every run: `from` is inclusive and late records arrive. */
  overlapMs: number
}

export const DEFAULT_AUDIT_OPTIONS: AuditWindowOptions = Object.freeze({
  pageSize: 1000,
  chunkMs: 30 * DAY_MS,
  overlapMs: 10 * MINUTE_MS
})

export interface AuditWindowCheckpoint extends Checkpoint {
  /** Every record created at or before this instant (epoch ms) has been ingested. */
  watermark: number | null
  /** The chunk in flight when the last page was committed. */
  window: { from: number, to: number, offset: number } | null
}

export interface AuditSourceSpec {
  fetchPage: (from: number, to: number, offset: number, limit: number, signal: AbortSignal) => Promise<AuditPage>
  map: (record: unknown) => EventDraft | null
  /** Status codes that mean "this site cannot give us this log" (plan or permission), with the reason shown. */
  unavailableReason: (status: number) => string | null
  statusOf: (err: unknown) => number | null
}

function readCheckpoint (cp: Checkpoint | null): AuditWindowCheckpoint {
  const watermark = typeof cp?.watermark === 'number' ? cp.watermark : null
  const w = cp?.window as AuditWindowCheckpoint['window'] | undefined
  const window = w !== undefined && w !== null && typeof w.from === 'number' && typeof w.to === 'number' && typeof w.offset === 'number' ? w : null
  return { watermark, window }
}

function sameIds (a: unknown[], b: unknown[]): boolean {
  if (a.length === 0 || a.length !== b.length) return false
  return a.every((r, i) => JSON.stringify(r) === JSON.stringify(b[i]))
}

export async function runAuditWindows (ctx: SyncContext, spec: AuditSourceSpec, options: AuditWindowOptions): Promise<RunOutcome> {
  const now = ctx.now().getTime()
  const floor = now - RETENTION_MS
  const state = readCheckpoint(ctx.checkpoint)
  const totals = { pages: 0, records: 0, inserted: 0 }

  const chunks: Array<{ from: number, to: number, offset: number }> = []
  let start = state.watermark !== null ? Math.max(floor, state.watermark - options.overlapMs) : floor
  if (state.window !== null) {
    chunks.push({ ...state.window })
    start = Math.max(floor, state.window.to - options.overlapMs)
  }
  for (let from = start; from < now; from += options.chunkMs) {
    chunks.push({ from, to: Math.min(now, from + options.chunkMs), offset: 0 })
  }

  let watermark = state.watermark
  for (const chunk of chunks) {
    let offset = chunk.offset
    let previous: unknown[] = []
    ctx.progress({ window: formatWindow(chunk.from, chunk.to) })
    for (;;) {
      throwIfAborted(ctx.signal)
      let page: AuditPage
      try {
        page = await spec.fetchPage(chunk.from, chunk.to, offset, options.pageSize, ctx.signal)
        // A page that repeats the previous one (a known paging glitch) would make us skip records: ask again.
        for (let retry = 0; retry < 3 && sameIds(page.records, previous); retry++) {
          page = await spec.fetchPage(chunk.from, chunk.to, offset, options.pageSize, ctx.signal)
        }
      } catch (err) {
        const status = spec.statusOf(err)
        const reason = status !== null ? spec.unavailableReason(status) : null
        if (reason !== null) return { availability: Availability.Unavailable, reason, ...totals }
        throw err
      }
      previous = page.records
      const drafts: EventDraft[] = []
      for (const record of page.records) {
        const draft = spec.map(record)
        if (draft !== null) drafts.push(draft)
      }
      const result = drafts.length > 0 ? await ctx.ingest(drafts) : null
      offset += page.records.length
      totals.pages++
      totals.records += page.records.length
      totals.inserted += result?.inserted ?? 0
      const finished = page.last || page.records.length === 0
      if (finished) watermark = Math.max(watermark ?? chunk.to, chunk.to)
      const checkpoint: AuditWindowCheckpoint = finished
        ? { watermark, window: null }
        : { watermark, window: { from: chunk.from, to: chunk.to, offset } }
      await ctx.commitCheckpoint(checkpoint)
      ctx.progress({ ...totals })
      if (finished) break
    }
  }
  return { availability: Availability.Ok, ...totals }
}

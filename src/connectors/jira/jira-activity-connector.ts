// Jira and JSM issue activity: changelog histories and comments of issues found by `search/jql` (updated >= bound,
// oldest first, nextPageToken), then worklogs via worklog/updated + worklog/list. Issues in service-desk projects
// become JSM events; every other issue stays Jira (one copy each, never both).
import { SourceId, type Checkpoint, type Connector, type RunOutcome, type SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { Availability } from '../connector.js'
import { jiraNotConfiguredReason } from './jira-audit-connector.js'
import { issueRefOf, mapChangelogHistory, mapComment, mapWorklog, type IssueRef } from './jira-activity-mapper.js'
import { PagingLoopError } from './errors.js'
import { updatedSinceJql } from './jira-jql.js'
import {
  MINUTE_MS, RETENTION_MS, asArray, asRecord, asString, formatWindow, httpStatusOf, parseTime, throwIfAborted,
  type AtlassianConnectorDeps, type SiteApi
} from './site-api.js'

export interface JiraActivityOptions {
  /** Issues per search page (each page is ingested and checkpointed on its own). */
  issuePageSize: number
  changelogPageSize: number
  commentPageSize: number
  /** Re-read this much before the watermark: search is eventually consistent and JQL has minute precision. */
  overlapMs: number
  /** worklog/updated omits the minute before the request; the `since` checkpoint never passes now minus this. */
  worklogSkewMs: number
}

export const DEFAULT_JIRA_ACTIVITY_OPTIONS: JiraActivityOptions = Object.freeze({
  issuePageSize: 100,
  changelogPageSize: 100,
  commentPageSize: 100,
  overlapMs: 15 * MINUTE_MS,
  worklogSkewMs: 2 * MINUTE_MS
})

export const SEARCH_PATH = '/rest/api/3/search/jql'
const ISSUE_FIELDS = 'summary,project,updated,created'
const MAX_REPEATED_CURSORS = 5

export interface JiraActivityCheckpoint extends Checkpoint {
  /** Every issue updated before this instant (epoch ms) has been processed. */
  issuesWatermark: number | null
  /** worklog/updated `since` (epoch ms) for the next page. */
  worklogSince: number | null
}

function readCheckpoint (cp: Checkpoint | null): JiraActivityCheckpoint {
  return {
    issuesWatermark: typeof cp?.issuesWatermark === 'number' ? cp.issuesWatermark : null,
    worklogSince: typeof cp?.worklogSince === 'number' ? cp.worklogSince : null
  }
}

interface Totals { pages: number, records: number, inserted: number }

async function userTimeZone (api: SiteApi, signal: AbortSignal): Promise<string | null> {
  try {
    const me = asRecord((await api.get('/rest/api/3/myself', undefined, { signal })).body)
    return asString(me.timeZone)
  } catch (err) {
    if (signal.aborted) throw err
    // Unknown zone: jira-jql widens the bound by the largest UTC offset instead.
    return null
  }
}

async function fullChangelog (api: SiteApi, issue: IssueRef, raw: Record<string, unknown>, pageSize: number, signal: AbortSignal): Promise<unknown[]> {
  const embedded = asRecord(raw.changelog)
  const histories = asArray(embedded.histories)
  const total = typeof embedded.total === 'number' ? embedded.total : null
  if (raw.changelog !== undefined && total !== null && histories.length >= total) return histories
  // Truncated (search embeds at most a few) or absent: page through the issue's own changelog, oldest first.
  const all: unknown[] = []
  for (let startAt = 0; ;) {
    throwIfAborted(signal)
    const body = asRecord((await api.get(`/rest/api/3/issue/${encodeURIComponent(issue.id)}/changelog`, { startAt, maxResults: pageSize }, { signal })).body)
    const values = asArray(body.values)
    all.push(...values)
    startAt += values.length
    const pageTotal = typeof body.total === 'number' ? body.total : null
    if (values.length === 0 || body.isLast === true || (pageTotal !== null && startAt >= pageTotal)) break
  }
  return all
}

async function allComments (api: SiteApi, issue: IssueRef, pageSize: number, signal: AbortSignal): Promise<unknown[]> {
  const all: unknown[] = []
  for (let startAt = 0; ;) {
    throwIfAborted(signal)
    const body = asRecord((await api.get(`/rest/api/3/issue/${encodeURIComponent(issue.id)}/comment`, { startAt, maxResults: pageSize, orderBy: 'created' }, { signal })).body)
    const comments = asArray(body.comments)
    all.push(...comments)
    startAt += comments.length
    const total = typeof body.total === 'number' ? body.total : null
    if (comments.length === 0 || (total !== null && startAt >= total) || body.isLast === true) break
  }
  return all
}

/** Drafts for one issue: histories and comment creations/edits at or after `from` (older ones were read by earlier runs). */
export async function issueDrafts (api: SiteApi, ctx: SyncContext, raw: unknown, from: number, opts: JiraActivityOptions): Promise<{ issue: IssueRef, drafts: EventDraft[] } | null> {
  const issue = issueRefOf(raw)
  if (issue === null) return null
  const drafts: EventDraft[] = []
  const since = (value: unknown): boolean => (parseTime(value) ?? -Infinity) >= from
  for (const history of await fullChangelog(api, issue, asRecord(raw), opts.changelogPageSize, ctx.signal)) {
    if (!since(asRecord(history).created)) continue
    const draft = mapChangelogHistory(issue, history, ctx.site)
    if (draft !== null) drafts.push(draft)
  }
  for (const comment of await allComments(api, issue, opts.commentPageSize, ctx.signal)) {
    const c = asRecord(comment)
    if (since(c.created)) {
      const draft = mapComment(issue, c, 'created', ctx.site)
      if (draft !== null) drafts.push(draft)
    }
    const created = parseTime(c.created)
    const updated = parseTime(c.updated)
    if (updated !== null && created !== null && updated > created && updated >= from) {
      const draft = mapComment(issue, c, 'updated', ctx.site)
      if (draft !== null) drafts.push(draft)
    }
  }
  return { issue, drafts }
}

export function createJiraActivityConnector (deps: AtlassianConnectorDeps, options: Partial<JiraActivityOptions> = {}): Connector {
  const opts = { ...DEFAULT_JIRA_ACTIVITY_OPTIONS, ...options }
  return {
    source: SourceId.JiraActivity,
    label: 'Jira & JSM activity',
    notConfiguredReason: jiraNotConfiguredReason,
    async run (ctx) {
      const api = deps.clientFor(ctx.site, 'jira')
      const runStart = ctx.now().getTime()
      const state = readCheckpoint(ctx.checkpoint)
      const totals: Totals = { pages: 0, records: 0, inserted: 0 }
      const issues = new Map<string, IssueRef>()
      try {
        await syncIssues(api, ctx, state, runStart, opts, totals, issues)
        await syncWorklogs(api, ctx, state, runStart, opts, totals, issues)
      } catch (err) {
        const status = httpStatusOf(err)
        if (status === 403) return { availability: Availability.Unavailable, reason: 'The Jira account cannot browse projects (HTTP 403)', ...totals }
        throw err
      }
      return { availability: Availability.Ok, ...totals } satisfies RunOutcome
    }
  }
}

async function ingestPage (ctx: SyncContext, drafts: EventDraft[], records: number, totals: Totals, state: JiraActivityCheckpoint): Promise<void> {
  const result = drafts.length > 0 ? await ctx.ingest(drafts) : null
  totals.pages++
  totals.records += records
  totals.inserted += result?.inserted ?? 0
  await ctx.commitCheckpoint({ ...state })
  ctx.progress({ ...totals })
}

async function syncIssues (
  api: SiteApi, ctx: SyncContext, state: JiraActivityCheckpoint, runStart: number,
  opts: JiraActivityOptions, totals: Totals, seen: Map<string, IssueRef>
): Promise<void> {
  const floor = runStart - RETENTION_MS
  const from = state.issuesWatermark !== null ? Math.max(floor, state.issuesWatermark - opts.overlapMs) : floor
  const timeZone = await userTimeZone(api, ctx.signal)
  const jql = updatedSinceJql(from, timeZone)
  ctx.progress({ window: `issues ${formatWindow(from, runStart)}` })
  let nextPageToken: string | null = null
  let repeats = 0
  for (;;) {
    throwIfAborted(ctx.signal)
    const query: Record<string, string | number> = { jql, maxResults: opts.issuePageSize, fields: ISSUE_FIELDS, expand: 'changelog' }
    if (nextPageToken !== null) query.nextPageToken = nextPageToken
    const body = asRecord((await api.get(SEARCH_PATH, query, { signal: ctx.signal })).body)
    const page = asArray(body.issues)
    const drafts: EventDraft[] = []
    let pageMax: number | null = null
    for (const raw of page) {
      const result = await issueDrafts(api, ctx, raw, from, opts)
      if (result === null) continue
      seen.set(result.issue.id, result.issue)
      drafts.push(...result.drafts)
      const updated = parseTime(asRecord(asRecord(raw).fields).updated)
      if (updated !== null) pageMax = Math.max(pageMax ?? updated, updated)
    }
    // Capped at the run's start: an issue touched while we page may jump past our position in the order.
    if (pageMax !== null) state.issuesWatermark = Math.max(state.issuesWatermark ?? from, Math.min(pageMax, runStart))
    const token = asString(body.nextPageToken)
    const last = token === null || body.isLast === true || page.length === 0
    // At the end of the result set everything updated before the run started has been read.
    if (last) state.issuesWatermark = Math.max(state.issuesWatermark ?? from, runStart)
    await ingestPage(ctx, drafts, page.length, totals, state)
    if (last) return
    // A response that hands back the token we sent would loop forever; ask again, then give up loudly.
    repeats = token === nextPageToken ? repeats + 1 : 0
    if (repeats > MAX_REPEATED_CURSORS) throw new PagingLoopError('Jira search/jql')
    nextPageToken = token
  }
}

/** Issue refs for worklogs whose issue this run has not seen: one bounded search per batch. */
async function resolveIssues (api: SiteApi, ctx: SyncContext, ids: string[], seen: Map<string, IssueRef>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !seen.has(id) && /^\d+$/.test(id))
  for (let i = 0; i < missing.length; i += 100) {
    const batch = missing.slice(i, i + 100)
    let nextPageToken: string | null = null
    do {
      throwIfAborted(ctx.signal)
      const query: Record<string, string | number> = { jql: `id in (${batch.join(',')})`, maxResults: 100, fields: 'summary,project' }
      if (nextPageToken !== null) query.nextPageToken = nextPageToken
      const body = asRecord((await api.get(SEARCH_PATH, query, { signal: ctx.signal })).body)
      for (const raw of asArray(body.issues)) {
        const ref = issueRefOf(raw)
        if (ref !== null) seen.set(ref.id, ref)
      }
      const token = asString(body.nextPageToken)
      nextPageToken = token !== null && token !== nextPageToken && body.isLast !== true ? token : null
    } while (nextPageToken !== null)
  }
}

async function syncWorklogs (
  api: SiteApi, ctx: SyncContext, state: JiraActivityCheckpoint, runStart: number,
  opts: JiraActivityOptions, totals: Totals, seen: Map<string, IssueRef>
): Promise<void> {
  const floor = runStart - RETENTION_MS
  // Re-scan the minute worklog/updated skipped last time (and a little more) before the stored since.
  let since = state.worklogSince !== null ? Math.max(floor, state.worklogSince - opts.worklogSkewMs) : floor
  const ceiling = runStart - opts.worklogSkewMs
  ctx.progress({ window: `worklogs ${formatWindow(since, runStart)}` })
  for (;;) {
    throwIfAborted(ctx.signal)
    const body = asRecord((await api.get('/rest/api/3/worklog/updated', { since }, { signal: ctx.signal })).body)
    const values = asArray(body.values).map(asRecord)
    const ids = values.map((v) => v.worklogId).filter((id): id is number | string => typeof id === 'number' || typeof id === 'string')
    const drafts: EventDraft[] = []
    for (let i = 0; i < ids.length; i += 1000) {
      const list = (await api.postSearch('/rest/api/3/worklog/list', { ids: ids.slice(i, i + 1000).map(Number) }, { signal: ctx.signal })).body
      const worklogs = asArray(list).map(asRecord)
      await resolveIssues(api, ctx, worklogs.map((w) => asString(w.issueId) ?? ''), seen)
      for (const w of worklogs) {
        const issue = seen.get(asString(w.issueId) ?? '')
        if (issue === undefined) continue
        if ((parseTime(w.created ?? w.started) ?? floor) < floor) continue
        const draft = mapWorklog(issue, w, ctx.site)
        if (draft !== null) drafts.push(draft)
      }
    }
    const until = typeof body.until === 'number' ? body.until : null
    const lastPage = body.lastPage === true || values.length === 0 || until === null || until <= since
    // Never let the stored `since` pass now minus the skew (the API hides the last minute), nor move it backwards.
    if (values.length > 0 && until !== null) state.worklogSince = Math.max(state.worklogSince ?? floor, Math.min(until, ceiling))
    else if (state.worklogSince === null) state.worklogSince = Math.min(since, ceiling)
    await ingestPage(ctx, drafts, values.length, totals, state)
    if (lastPage) return
    since = until
  }
}

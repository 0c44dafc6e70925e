// Jira and JSM issue activity: changelog histories and comments of issues found by `search/jql` (updated >= bound,
// oldest first, nextPageToken; histories and comments come embedded, paged separately only when truncated), then
// worklogs via worklog/updated + worklog/list. Issues in service-desk projects become JSM events; every other issue
// stays Jira (one copy each, never both).
import { SourceId, type Checkpoint, type Connector, type RunOutcome, type SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { Availability } from '../connector.js'
import { jiraNotConfiguredReason } from './jira-audit-connector.js'
import { issueRefOf, mapChangelogHistory, mapComment, mapWorklog, type IssueRef } from './jira-activity-mapper.js'
import { PagingLoopError } from './errors.js'
import { updatedSinceJql } from './jira-jql.js'
import {
  MINUTE_MS, RETENTION_MS, asArray, mapLimit, asRecord, asString, formatWindow, httpStatusOf, parseTime, throwIfAborted,
  withTransientRetry, type AtlassianConnectorDeps, type SiteApi
} from './site-api.js'

export interface JiraActivityOptions {
  /** Issues per search page (each page is ingested and checkpointed on its own). */
  issuePageSize: number
  changelogPageSize: number
  commentPageSize: number
  /** Re-read this much before the watermark: search is eventually consistent and JQL has minute precision. */
  overlapMs: number
  /** worklog/updated omits the minute before the request; the stored `since` never passes run start minus this. */
  worklogSkewMs: number
  /** Issues of one search page whose changelog/comments are read at once (the client's limiter still applies). */
  concurrency: number
  /** Issue refs kept for attributing worklogs (bounded, so memory stays flat on large sites; misses cost one GET). */
  issueCacheSize: number
}

export const DEFAULT_JIRA_ACTIVITY_OPTIONS: JiraActivityOptions = Object.freeze({
  issuePageSize: 100,
  changelogPageSize: 100,
  commentPageSize: 100,
  overlapMs: 15 * MINUTE_MS,
  worklogSkewMs: 2 * MINUTE_MS,
  concurrency: 4,
  issueCacheSize: 50_000
})

export const SEARCH_PATH = '/rest/api/3/search/jql'
// `comment` embeds up to 20 comments per issue: the /comment endpoint is read only when that list is truncated.
const ISSUE_FIELDS = 'summary,project,updated,created,comment'
const MAX_REPEATED_CURSORS = 5

export interface JiraActivityCheckpoint extends Checkpoint {
  /** Every issue updated before this instant (epoch ms) has been processed. */
  issuesWatermark: number | null
  /**
   * Lower bound of the sweep in progress (null between sweeps). A resumed sweep keeps filtering events on it:
   * issues it has not reached yet may hold histories and comments older than the resumed watermark.
   */
  issuesSweepFrom: number | null
  /** worklog/updated `since` (epoch ms) for the next page. */
  worklogSince: number | null
}

function readCheckpoint (cp: Checkpoint | null): JiraActivityCheckpoint {
  return {
    issuesWatermark: typeof cp?.issuesWatermark === 'number' ? cp.issuesWatermark : null,
    issuesSweepFrom: typeof cp?.issuesSweepFrom === 'number' ? cp.issuesSweepFrom : null,
    worklogSince: typeof cp?.worklogSince === 'number' ? cp.worklogSince : null
  }
}

interface Totals { pages: number, records: number, inserted: number }

/** A Map that forgets its oldest entries beyond `max` (insertion order; a hit is re-inserted as newest). */
type IssueCache = Pick<Map<string, IssueRef>, 'get' | 'set' | 'has'>

function createIssueCache (max: number): IssueCache {
  const map = new Map<string, IssueRef>()
  const cache: IssueCache = {
    has: (id) => map.has(id),
    get (id) {
      const ref = map.get(id)
      if (ref !== undefined) { map.delete(id); map.set(id, ref) }
      return ref
    },
    set (id, ref) {
      map.delete(id)
      map.set(id, ref)
      if (map.size > max) map.delete(map.keys().next().value as string)
      return map
    }
  }
  return cache
}

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

async function allComments (api: SiteApi, issue: IssueRef, raw: Record<string, unknown>, pageSize: number, signal: AbortSignal): Promise<unknown[]> {
  const embedded = asRecord(asRecord(raw.fields).comment)
  const listed = asArray(embedded.comments)
  const listedTotal = typeof embedded.total === 'number' ? embedded.total : null
  // Complete only when the search said how many there are and gave them all; otherwise page the issue's own list.
  if (Array.isArray(embedded.comments) && listedTotal !== null && listed.length >= listedTotal) return listed
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
  let histories: unknown[]
  let comments: unknown[]
  try {
    histories = await fullChangelog(api, issue, asRecord(raw), opts.changelogPageSize, ctx.signal)
    comments = await allComments(api, issue, asRecord(raw), opts.commentPageSize, ctx.signal)
  } catch (err) {
    // Deleted or restricted between the search and this read: nothing of it can be read now; go on with the page.
    const status = httpStatusOf(err)
    if (status !== 404 && status !== 403) throw err
    ctx.logger.debug({ issue: issue.key, status }, 'issue no longer readable; skipped')
    return { issue, drafts }
  }
  for (const history of histories) {
    if (!since(asRecord(history).created)) continue
    const draft = mapChangelogHistory(issue, history, ctx.site)
    if (draft !== null) drafts.push(draft)
  }
  for (const comment of comments) {
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
      const api = withTransientRetry(deps.clientFor(ctx.site, 'jira'))
      const runStart = ctx.now().getTime()
      const state = readCheckpoint(ctx.checkpoint)
      const totals: Totals = { pages: 0, records: 0, inserted: 0 }
      const issues = createIssueCache(opts.issueCacheSize)
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
  opts: JiraActivityOptions, totals: Totals, seen: IssueCache
): Promise<void> {
  const floor = runStart - RETENTION_MS
  const from = state.issuesWatermark !== null ? Math.max(floor, state.issuesWatermark - opts.overlapMs) : floor
  // Events older than this were read by earlier (completed) sweeps.
  const eventsFrom = Math.max(floor, Math.min(from, state.issuesSweepFrom ?? from))
  state.issuesSweepFrom = eventsFrom
  const timeZone = await userTimeZone(api, ctx.signal)
  const jql = updatedSinceJql(from, timeZone)
  ctx.progress({ window: `issues ${formatWindow(from, runStart)}` })

  // Reads one search page and everything its issues need; no state is touched until the page is ingested.
  const readPage = async (sent: string | null): Promise<{ sent: string | null, token: string | null, last: boolean, count: number, drafts: EventDraft[], pageMax: number | null }> => {
    throwIfAborted(ctx.signal)
    const query: Record<string, string | number> = { jql, maxResults: opts.issuePageSize, fields: ISSUE_FIELDS, expand: 'changelog' }
    if (sent !== null) query.nextPageToken = sent
    const body = asRecord((await api.get(SEARCH_PATH, query, { signal: ctx.signal })).body)
    const page = asArray(body.issues)
    const drafts: EventDraft[] = []
    let pageMax: number | null = null
    const results = await mapLimit(page, opts.concurrency, async (raw) => await issueDrafts(api, ctx, raw, eventsFrom, opts))
    for (const [index, result] of results.entries()) {
      if (result === null) continue
      seen.set(result.issue.id, result.issue)
      drafts.push(...result.drafts)
      const updated = parseTime(asRecord(asRecord(page[index]).fields).updated)
      if (updated !== null) pageMax = Math.max(pageMax ?? updated, updated)
    }
    const token = asString(body.nextPageToken)
    return { sent, token, last: token === null || body.isLast === true || page.length === 0, count: page.length, drafts, pageMax }
  }

  let repeats = 0
  let pending = readPage(null)
  for (;;) {
    const page = await pending
    if (!page.last) {
      // A response that hands back the token we sent would loop forever; ask again, then give up loudly.
      repeats = page.token === page.sent ? repeats + 1 : 0
      if (repeats > MAX_REPEATED_CURSORS) throw new PagingLoopError('Jira search/jql')
      // Read the next page while this one is written; its state only moves after this page's checkpoint.
      pending = readPage(page.token)
      pending.catch(() => {})
    }
    // Capped at the run's start: an issue touched while we page may jump past our position in the order.
    if (page.pageMax !== null) state.issuesWatermark = Math.max(state.issuesWatermark ?? from, Math.min(page.pageMax, runStart))
    if (page.last) {
      // At the end of the result set everything updated before the run started has been read.
      state.issuesWatermark = Math.max(state.issuesWatermark ?? from, runStart)
      state.issuesSweepFrom = null
    }
    await ingestPage(ctx, page.drafts, page.count, totals, state)
    if (page.last) return
  }
}

/** Issue refs for a batch of worklogs: from the cache, else one GET per issue (e.g. after a resumed run). */
async function resolveIssues (api: SiteApi, ctx: SyncContext, ids: string[], seen: IssueCache, concurrency: number): Promise<Map<string, IssueRef>> {
  const refs = new Map<string, IssueRef>()
  const missing: string[] = []
  for (const id of new Set(ids)) {
    const cached = seen.get(id)
    if (cached !== undefined) refs.set(id, cached)
    else if (/^\d+$/.test(id)) missing.push(id)
  }
  await mapLimit(missing, concurrency, async (id) => {
    throwIfAborted(ctx.signal)
    try {
      const ref = issueRefOf((await api.get(`/rest/api/3/issue/${id}`, { fields: 'summary,project' }, { signal: ctx.signal })).body)
      if (ref !== null) { seen.set(ref.id, ref); refs.set(ref.id, ref) }
    } catch (err) {
      // Deleted since, or hidden from this account: its worklogs cannot be attributed, so they are skipped.
      if (httpStatusOf(err) !== 404) throw err
    }
  })
  return refs
}

function sinceOf (link: unknown): number | null {
  const text = asString(link)
  if (text === null) return null
  const match = /[?&]since=(\d+)/.exec(text)
  return match !== null ? Number(match[1]) : null
}

async function syncWorklogs (
  api: SiteApi, ctx: SyncContext, state: JiraActivityCheckpoint, runStart: number,
  opts: JiraActivityOptions, totals: Totals, seen: IssueCache
): Promise<void> {
  const floor = runStart - RETENTION_MS
  // worklog/updated leaves out the minute before each request, so the stored `since` stays below
  // now minus that minute (plus margin) and the next run re-scans what was hidden.
  const ceiling = runStart - opts.worklogSkewMs
  let since = Math.max(floor, state.worklogSince ?? floor)
  let repeats = 0
  ctx.progress({ window: `worklogs ${formatWindow(since, runStart)}` })
  for (;;) {
    throwIfAborted(ctx.signal)
    const body = asRecord((await api.get('/rest/api/3/worklog/updated', { since }, { signal: ctx.signal })).body)
    const values = asArray(body.values).map(asRecord)
    const ids = values.map((v) => Number(v.worklogId)).filter((id) => Number.isInteger(id))
    const drafts: EventDraft[] = []
    for (let i = 0; i < ids.length; i += 1000) {
      const list = (await api.postSearch('/rest/api/3/worklog/list', { ids: ids.slice(i, i + 1000) }, { signal: ctx.signal })).body
      const worklogs = asArray(list).map(asRecord)
      const refs = await resolveIssues(api, ctx, worklogs.map((w) => asString(w.issueId) ?? ''), seen, opts.concurrency)
      for (const w of worklogs) {
        const issue = refs.get(asString(w.issueId) ?? '')
        if (issue === undefined) continue
        const draft = mapWorklog(issue, w, ctx.site)
        if (draft !== null) drafts.push(draft)
      }
    }
    const until = typeof body.until === 'number' ? body.until : null
    // Even the last page carries nextPage: only lastPage ends the sweep.
    const last = body.lastPage === true || values.length === 0
    const next = sinceOf(body.nextPage) ?? (until !== null ? until + 1 : null)
    if (next !== null && next > since) state.worklogSince = Math.max(state.worklogSince ?? floor, Math.min(next, ceiling))
    await ingestPage(ctx, drafts, values.length, totals, state)
    if (last) return
    // A page that hands back its own `since` is re-requested; a persistent loop fails the run instead of spinning.
    repeats = next === null || next <= since ? repeats + 1 : 0
    if (repeats > MAX_REPEATED_CURSORS) throw new PagingLoopError('Jira worklog/updated')
    if (next !== null && next > since) since = next
  }
}

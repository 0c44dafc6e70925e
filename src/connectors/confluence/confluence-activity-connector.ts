// Confluence pages and blog posts, every version: CQL search (`lastmodified >=` bound, oldest first, cursor links)
// finds content changed since the watermark; v2 `/versions` lists each one's versions (version 1 = created), unless
// the hit's version and history expansions already hold them all (items with up to three versions).
import { Availability, SourceId, type Checkpoint, type Connector, type RunOutcome, type SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { PagingLoopError } from '../jira/errors.js'
import { formatJqlDate } from '../jira/jira-jql.js'
import {
  MINUTE_MS, RETENTION_MS, asArray, mapLimit, asRecord, asString, formatWindow, httpStatusOf, parseTime, throwIfAborted,
  withTransientRetry, type AtlassianConnectorDeps, type SiteApi
} from '../jira/site-api.js'
import { confluenceNotConfiguredReason } from './confluence-audit-connector.js'
import { mapContentVersion, type ContentRef } from './confluence-activity-mapper.js'

export interface ConfluenceActivityOptions {
  /** Content items per search page (each page is ingested and checkpointed on its own). */
  searchPageSize: number
  versionPageSize: number
  /** Re-read this much before the watermark (search is eventually consistent; CQL has minute precision). */
  overlapMs: number
  /** Search hits whose versions are read at once (the client's limiter still applies). */
  concurrency: number
}

export const DEFAULT_CONFLUENCE_ACTIVITY_OPTIONS: ConfluenceActivityOptions = Object.freeze({
  searchPageSize: 100,
  versionPageSize: 250,
  overlapMs: 15 * MINUTE_MS,
  concurrency: 4
})

export const CQL_SEARCH_PATH = '/wiki/rest/api/search'
const MAX_REPEATED_CURSORS = 5

export interface ConfluenceActivityCheckpoint extends Checkpoint {
  /** Every page or blog post last modified before this instant (epoch ms) has had its versions read. */
  watermark: number | null
  /** Lower bound of the sweep in progress (null between sweeps): a resumed sweep keeps filtering versions on it. */
  sweepFrom: number | null
}

/**
 * The CQL bound. Confluence reads CQL dates in the user's zone too; we do not know it, so the bound steps back by
 * the largest UTC offset (see jira-jql.ts) and the time filter on versions drops what was already read.
 */
export function activityCql (fromMs: number): string {
  return `type in (page, blogpost) AND lastmodified >= "${formatJqlDate(fromMs, null)}" ORDER BY lastmodified`
}

/** The cursor of a `_links.next` link (relative to _links.base or the site); we re-issue it on our own base URL. */
export function cursorOf (next: unknown): string | null {
  const link = asString(next)
  if (link === null) return null
  const q = link.indexOf('?')
  if (q < 0) return null
  return new URLSearchParams(link.slice(q + 1)).get('cursor')
}

/**
 * Every version of an item when the search hit carries them all: version 1 is the creation (history.createdBy /
 * createdDate), version n - 1 is history.previousVersion, version n is the current one. Null when more are needed.
 */
export function embeddedVersions (latest: Record<string, unknown>, history: Record<string, unknown>): unknown[] | null {
  const n = latest.number
  if (n === 1) return [latest]
  if (n !== 2 && n !== 3) return null
  const by = asRecord(history.createdBy)
  const createdDate = asString(history.createdDate)
  if (createdDate === null || asString(by.accountId) === null) return null
  const created = { number: 1, when: createdDate, by }
  if (n === 2) return [created, latest]
  const previous = asRecord(history.previousVersion)
  return previous.number === 2 ? [created, previous, latest] : null
}

function contentRefOf (result: Record<string, unknown>): { ref: ContentRef, latest: Record<string, unknown>, history: Record<string, unknown> } | null {
  const content = asRecord(result.content)
  const id = asString(content.id)
  const type = asString(content.type)
  if (id === null || (type !== 'page' && type !== 'blogpost')) return null
  const space = asRecord(content.space)
  // Space key from the expanded space, else from the web UI path (/spaces/KEY/...).
  const path = asString(asRecord(content._links).webui) ?? asString(result.url) ?? ''
  const spaceKey = asString(space.key) ?? (/\/spaces\/([^/]+)/.exec(path)?.[1] ?? null)
  const title = asString(content.title) ?? asString(result.title)
  return { ref: { id, type, title, spaceKey: spaceKey !== null ? decodeURIComponent(spaceKey) : null }, latest: asRecord(content.version), history: asRecord(content.history) }
}

async function versionsOf (api: SiteApi, ref: ContentRef, pageSize: number, signal: AbortSignal): Promise<unknown[]> {
  const path = `/wiki/api/v2/${ref.type === 'page' ? 'pages' : 'blogposts'}/${encodeURIComponent(ref.id)}/versions`
  const all: unknown[] = []
  let cursor: string | null = null
  let repeats = 0
  for (;;) {
    throwIfAborted(signal)
    const query: Record<string, string | number> = { limit: pageSize, sort: 'modified-date' }
    if (cursor !== null) query.cursor = cursor
    const body = asRecord((await api.get(path, query, { signal })).body)
    const results = asArray(body.results)
    const next = cursorOf(asRecord(body._links).next)
    if (next !== null && next === cursor) {
      // The server handed back our own cursor: ask again rather than reading this page twice or looping.
      if (++repeats > MAX_REPEATED_CURSORS) throw new PagingLoopError('Confluence versions')
      continue
    }
    repeats = 0
    all.push(...results)
    if (next === null || results.length === 0) return all
    cursor = next
  }
}

export function createConfluenceActivityConnector (deps: AtlassianConnectorDeps, options: Partial<ConfluenceActivityOptions> = {}): Connector {
  const opts = { ...DEFAULT_CONFLUENCE_ACTIVITY_OPTIONS, ...options }
  return {
    source: SourceId.ConfluenceActivity,
    label: 'Confluence pages & blog posts',
    notConfiguredReason: confluenceNotConfiguredReason,
    async run (ctx) {
      const api = withTransientRetry(deps.clientFor(ctx.site, 'confluence'))
      try {
        return await sync(api, ctx, opts)
      } catch (err) {
        if (httpStatusOf(err) === 403) return { availability: Availability.Unavailable, reason: 'The Confluence account cannot search content (HTTP 403)', pages: 0, records: 0, inserted: 0 }
        throw err
      }
    }
  }
}

interface SearchPage { sent: string | null, next: string | null, count: number, drafts: EventDraft[], pageMax: number | null, repeated: boolean }

async function sync (api: SiteApi, ctx: SyncContext, opts: ConfluenceActivityOptions): Promise<RunOutcome> {
  const runStart = ctx.now().getTime()
  const floor = runStart - RETENTION_MS
  const stored = typeof ctx.checkpoint?.watermark === 'number' ? ctx.checkpoint.watermark : null
  const from = stored !== null ? Math.max(floor, stored - opts.overlapMs) : floor
  const sweepFrom = typeof ctx.checkpoint?.sweepFrom === 'number' ? ctx.checkpoint.sweepFrom : null
  // Content not reached by an interrupted sweep may hold versions older than the resumed watermark.
  const versionsFrom = Math.max(floor, Math.min(from, sweepFrom ?? from))
  const state: ConfluenceActivityCheckpoint = { watermark: stored, sweepFrom: versionsFrom }
  const totals = { pages: 0, records: 0, inserted: 0 }
  const cql = activityCql(from)
  ctx.progress({ window: formatWindow(from, runStart) })
  // Reads one search page and the versions of its hits; no state is touched until the page is ingested.
  const readPage = async (sent: string | null): Promise<SearchPage> => {
    throwIfAborted(ctx.signal)
    // The history expansions carry versions 1 and n - 1: items with up to three versions need no versions request.
    const query: Record<string, string | number> = { cql, limit: opts.searchPageSize, expand: 'content.space,content.version,content.history,content.history.previousVersion' }
    if (sent !== null) query.cursor = sent
    const body = asRecord((await api.get(CQL_SEARCH_PATH, query, { signal: ctx.signal })).body)
    const next = cursorOf(asRecord(body._links).next)
    // The server handed back our own cursor: the caller asks again rather than reading this page twice.
    if (next !== null && next === sent) return { sent, next, count: 0, drafts: [], pageMax: null, repeated: true }
    const results = asArray(body.results).map(asRecord)
    const drafts: EventDraft[] = []
    let pageMax: number | null = null
    const perItem = await mapLimit(results, opts.concurrency, async (result) => {
      const found = contentRefOf(result)
      if (found === null) return null
      const modified = parseTime(result.lastModified) ?? parseTime(found.latest.when)
      // An item whose versions the search hit already carries (up to three): skip the versions request.
      const embedded = embeddedVersions(found.latest, found.history)
      if (embedded !== null) return { found, versions: embedded, modified }
      try {
        return { found, versions: await versionsOf(api, found.ref, opts.versionPageSize, ctx.signal), modified }
      } catch (err) {
        // Deleted or restricted since the search: nothing of it can be read now; go on with the page.
        const status = httpStatusOf(err)
        if (status !== 404 && status !== 403) throw err
        return { found, versions: [], modified }
      }
    })
    for (const item of perItem) {
      if (item === null) continue
      const { found, versions, modified } = item
      if (modified !== null) pageMax = Math.max(pageMax ?? modified, modified)
      for (const version of versions) {
        const v = asRecord(version)
        if ((parseTime(v.createdAt ?? v.when) ?? -Infinity) < versionsFrom) continue
        const draft = mapContentVersion(found.ref, v, ctx.site)
        if (draft !== null) drafts.push(draft)
      }
    }
    return { sent, next: results.length === 0 ? null : next, count: results.length, drafts, pageMax, repeated: false }
  }

  let repeats = 0
  let pending = readPage(null)
  for (;;) {
    const page = await pending
    if (page.repeated) {
      if (++repeats > MAX_REPEATED_CURSORS) throw new PagingLoopError('Confluence CQL search')
      pending = readPage(page.sent)
      continue
    }
    repeats = 0
    const { next, drafts, pageMax } = page
    if (next !== null) {
      // Read the next page while this one is written; its state only moves after this page's checkpoint.
      pending = readPage(next)
      pending.catch(() => {})
    }
    // Capped at the run start: content edited while we page may move past our position in the order.
    if (pageMax !== null) state.watermark = Math.max(state.watermark ?? from, Math.min(pageMax, runStart))
    const last = next === null
    if (last) {
      state.watermark = Math.max(state.watermark ?? from, runStart)
      state.sweepFrom = null
    }
    const result = drafts.length > 0 ? await ctx.ingest(drafts) : null
    totals.pages++
    totals.records += page.count
    totals.inserted += result?.inserted ?? 0
    await ctx.commitCheckpoint({ ...state })
    ctx.progress({ ...totals })
    if (last) return { availability: Availability.Ok, ...totals }
  }
}

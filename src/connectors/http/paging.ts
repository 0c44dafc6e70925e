// Lazy page iterators for Atlassian's four paging styles (API-NOTES §1–§6, §10). One request per page, one page in
// memory; every page says how to resume (nextState) so a connector can checkpoint after ingesting it.
import type { Query, ReadOnlyClient, ReadOnlyResponse } from './read-only-client.js'
import type { ReadOnlyPostPath } from './read-only-paths.js'

/** Why an iteration ended (set on the last page only). */
export const PageEnd = Object.freeze({
  LastPage: 'last-page',
  EmptyPage: 'empty-page',
  RepeatedCursor: 'repeated-cursor',
  MaxPages: 'max-pages'
} as const)
export type PageEnd = typeof PageEnd[keyof typeof PageEnd]

export interface Page<T, R, S> {
  items: T[]
  raw: R
  headers: Readonly<Record<string, string>>
  /** The state that fetched this page. */
  state: S
  /** Pass as `start` to continue after this page; null when this is the last page. */
  nextState: S | null
  /** Set on the last page. */
  end?: PageEnd
  /** 1-based within this iteration. */
  pageNumber: number
}

export interface IterateOptions<S> {
  signal?: AbortSignal
  rateProfile?: string
  /** Resume from a checkpointed nextState. */
  start?: S
  /** Safety stop (default unlimited). */
  maxPages?: number
}

type Json = Record<string, unknown>
const asRecord = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Json : {})
const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? v as T[] : [])
const asString = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const asNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** A server may hand back the request's own cursor once (a glitch the simulator injects): fetch it again, a few times. */
const MAX_SELF_REPEATS = 3
type Verdict = 'follow' | 'refetch' | 'stop'

/**
 * Loop protection for cursor-style paging. A next cursor equal to the current one is fetched again (bounded); one equal
 * to an earlier cursor ends the iteration, logged, instead of looping forever.
 */
class CursorGuard {
  private readonly seen = new Set<string>()
  private selfRepeats = 0
  constructor (private readonly client: ReadOnlyClient, private readonly path: string, private readonly max = 10_000) {}

  judge (current: string | null, next: string, pageNumber: number): Verdict {
    if (current !== null && next === current) {
      if (this.selfRepeats < MAX_SELF_REPEATS) {
        this.selfRepeats++
        this.client.logger.info({ path: pathOf(this.path), pageNumber }, 'paging: the server returned the current cursor as next; fetching the page again')
        return 'refetch'
      }
      return this.stop(pageNumber)
    }
    if (current !== null) this.remember(current)
    if (this.seen.has(next)) return this.stop(pageNumber)
    this.selfRepeats = 0
    return 'follow'
  }

  private remember (key: string): void {
    this.seen.add(key)
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string)
  }

  private stop (pageNumber: number): Verdict {
    this.client.logger.warn({ path: pathOf(this.path), pageNumber }, 'paging stopped: the server repeated a cursor')
    return 'stop'
  }
}

function pathOf (pathOrUrl: string): string {
  return (pathOrUrl.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split('?')[0]) || '/'
}

// ---------------------------------------------------------------------------------------------------------------
// Offset style: offset/limit/total (Jira audit records), start/limit/size (Confluence audit).

export interface OffsetState { offset: number }

export interface OffsetPagingOptions<T, R> extends IterateOptions<OffsetState> {
  path: string
  query?: Query
  offsetParam: string
  limitParam: string
  limit: number
  items: (raw: R) => T[]
  /** Total records, when the API reports it. */
  total?: (raw: R) => number | undefined
  /** The limit the server applied (it may cap the requested one). */
  effectiveLimit?: (raw: R) => number | undefined
}

export async function * offsetPages<T, R> (client: ReadOnlyClient, o: OffsetPagingOptions<T, R>): AsyncGenerator<Page<T, R, OffsetState>> {
  let state: OffsetState = o.start ?? { offset: 0 }
  for (let pageNumber = 1; ; pageNumber++) {
    const res = await client.get<R>(o.path, { ...o.query, [o.offsetParam]: state.offset, [o.limitParam]: o.limit }, o)
    const items = o.items(res.body)
    const total = o.total?.(res.body)
    const pageLimit = o.effectiveLimit?.(res.body) ?? o.limit
    const next = { offset: state.offset + items.length }
    let end: PageEnd | undefined
    if (items.length === 0) end = PageEnd.EmptyPage
    else if (total !== undefined ? next.offset >= total : items.length < pageLimit) end = PageEnd.LastPage
    else if (o.maxPages !== undefined && pageNumber >= o.maxPages) end = PageEnd.MaxPages
    yield { items, raw: res.body, headers: res.headers, state, nextState: end ? null : next, ...(end ? { end } : {}), pageNumber }
    if (end) return
    state = next
  }
}

export interface JiraAuditRecordsPage { offset?: number, limit?: number, total?: number, records?: unknown[] }

/** `GET /rest/api/3/auditing/record` (from/to/filter in query). */
export function jiraAuditPages<T = Json> (
  client: ReadOnlyClient,
  o: IterateOptions<OffsetState> & { query?: Query, limit?: number } = {}
): AsyncGenerator<Page<T, JiraAuditRecordsPage, OffsetState>> {
  return offsetPages<T, JiraAuditRecordsPage>(client, {
    ...o,
    path: '/rest/api/3/auditing/record',
    offsetParam: 'offset',
    limitParam: 'limit',
    limit: o.limit ?? 1000,
    items: (raw) => asArray<T>(asRecord(raw).records),
    total: (raw) => asNumber(asRecord(raw).total),
    effectiveLimit: (raw) => asNumber(asRecord(raw).limit)
  })
}

export interface ConfluenceAuditPage { results?: unknown[], start?: number, limit?: number, size?: number }

/** `GET /wiki/rest/api/audit` (startDate/endDate epoch ms in query) or `/wiki/rest/api/audit/since`: stop when size < limit. */
export function confluenceAuditPages<T = Json> (
  client: ReadOnlyClient,
  o: IterateOptions<OffsetState> & { path?: string, query?: Query, limit?: number } = {}
): AsyncGenerator<Page<T, ConfluenceAuditPage, OffsetState>> {
  return offsetPages<T, ConfluenceAuditPage>(client, {
    ...o,
    path: o.path ?? '/wiki/rest/api/audit',
    offsetParam: 'start',
    limitParam: 'limit',
    limit: o.limit ?? 1000,
    items: (raw) => asArray<T>(asRecord(raw).results),
    effectiveLimit: (raw) => asNumber(asRecord(raw).limit)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// startAt style: startAt/maxResults with isLast and/or total (Jira changelog, comments, user search).

export interface StartAtState { startAt: number }

export interface StartAtPagingOptions<T, R> extends IterateOptions<StartAtState> {
  path: string
  query?: Query
  maxResults: number
  items: (raw: R) => T[]
}

export async function * startAtPages<T, R> (client: ReadOnlyClient, o: StartAtPagingOptions<T, R>): AsyncGenerator<Page<T, R, StartAtState>> {
  let state: StartAtState = o.start ?? { startAt: 0 }
  for (let pageNumber = 1; ; pageNumber++) {
    const res = await client.get<R>(o.path, { ...o.query, startAt: state.startAt, maxResults: o.maxResults }, o)
    const raw = asRecord(res.body)
    const items = o.items(res.body)
    const total = asNumber(raw.total)
    const next = { startAt: state.startAt + items.length }
    let end: PageEnd | undefined
    if (items.length === 0) end = PageEnd.EmptyPage
    else if (raw.isLast === true) end = PageEnd.LastPage
    else if (raw.isLast !== false && total !== undefined && next.startAt >= total) end = PageEnd.LastPage
    else if (raw.isLast === undefined && total === undefined && items.length < o.maxResults) end = PageEnd.LastPage
    else if (o.maxPages !== undefined && pageNumber >= o.maxPages) end = PageEnd.MaxPages
    yield { items, raw: res.body, headers: res.headers, state, nextState: end ? null : next, ...(end ? { end } : {}), pageNumber }
    if (end) return
    state = next
  }
}

export interface JiraChangelogPage { startAt?: number, maxResults?: number, total?: number, isLast?: boolean, values?: unknown[] }
export interface JiraCommentsPage { startAt?: number, maxResults?: number, total?: number, comments?: unknown[] }

/** `GET /rest/api/3/issue/{key}/changelog` (oldest first; isLast). */
export function jiraChangelogPages<T = Json> (
  client: ReadOnlyClient, issueIdOrKey: string, o: IterateOptions<StartAtState> & { maxResults?: number } = {}
): AsyncGenerator<Page<T, JiraChangelogPage, StartAtState>> {
  return startAtPages<T, JiraChangelogPage>(client, {
    ...o,
    path: `/rest/api/3/issue/${encodeURIComponent(issueIdOrKey)}/changelog`,
    maxResults: o.maxResults ?? 100,
    items: (raw) => asArray<T>(asRecord(raw).values)
  })
}

/** `GET /rest/api/3/issue/{key}/comment` (total, no isLast). */
export function jiraCommentPages<T = Json> (
  client: ReadOnlyClient, issueIdOrKey: string, o: IterateOptions<StartAtState> & { maxResults?: number, query?: Query } = {}
): AsyncGenerator<Page<T, JiraCommentsPage, StartAtState>> {
  return startAtPages<T, JiraCommentsPage>(client, {
    ...o,
    path: `/rest/api/3/issue/${encodeURIComponent(issueIdOrKey)}/comment`,
    query: { orderBy: 'created', ...o.query },
    maxResults: o.maxResults ?? 100,
    items: (raw) => asArray<T>(asRecord(raw).comments)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// nextPageToken style (Jira search/jql by GET or POST, changelog bulkfetch): the token is absent on the last page.

export interface TokenState { nextPageToken: string | null }

export interface TokenPagingOptions<T, R> extends IterateOptions<TokenState> {
  items: (raw: R) => T[]
  /** GET path + query, or POST to an allow-listed search with a JSON body. */
  request: { get: string, query?: Query } | { post: ReadOnlyPostPath, body: Readonly<Record<string, unknown>> }
}

export async function * tokenPages<T, R> (client: ReadOnlyClient, o: TokenPagingOptions<T, R>): AsyncGenerator<Page<T, R, TokenState>> {
  let state: TokenState = o.start ?? { nextPageToken: null }
  const path = 'get' in o.request ? o.request.get : o.request.post
  const guard = new CursorGuard(client, path)
  for (let pageNumber = 1; ;) {
    const token = state.nextPageToken
    let res: ReadOnlyResponse<R>
    if ('get' in o.request) {
      res = await client.get<R>(o.request.get, { ...o.request.query, ...(token ? { nextPageToken: token } : {}) }, o)
    } else {
      res = await client.postSearch<R>(o.request.post, { ...o.request.body, ...(token ? { nextPageToken: token } : {}) }, o)
    }
    const raw = asRecord(res.body)
    const items = o.items(res.body)
    const nextToken = asString(raw.nextPageToken)
    let end: PageEnd | undefined
    if (nextToken === null || raw.isLast === true) end = PageEnd.LastPage
    else if (items.length === 0) end = PageEnd.EmptyPage
    else {
      const verdict = guard.judge(token, nextToken, pageNumber)
      if (verdict === 'refetch') continue
      if (verdict === 'stop') end = PageEnd.RepeatedCursor
      else if (o.maxPages !== undefined && pageNumber >= o.maxPages) end = PageEnd.MaxPages
    }
    yield { items, raw: res.body, headers: res.headers, state, nextState: end ? null : { nextPageToken: nextToken }, ...(end ? { end } : {}), pageNumber }
    if (end) return
    state = { nextPageToken: nextToken }
    pageNumber++
  }
}

export interface JiraSearchPage { issues?: unknown[], nextPageToken?: string, isLast?: boolean }

/** `GET|POST /rest/api/3/search/jql` with a bounded JQL; POST keeps long JQL out of the URL. */
export function jiraSearchPages<T = Json> (
  client: ReadOnlyClient,
  o: IterateOptions<TokenState> & { jql: string, fields?: string[], expand?: string, maxResults?: number, method?: 'GET' | 'POST' }
): AsyncGenerator<Page<T, JiraSearchPage, TokenState>> {
  const maxResults = o.maxResults ?? 100
  const fields = o.fields ?? ['id', 'key', 'updated']
  const request = o.method === 'POST'
    ? { post: '/rest/api/3/search/jql' as const, body: { jql: o.jql, fields, maxResults, ...(o.expand ? { expand: o.expand } : {}) } }
    : { get: '/rest/api/3/search/jql', query: { jql: o.jql, fields: fields.join(','), maxResults, expand: o.expand } }
  return tokenPages<T, JiraSearchPage>(client, { ...o, request, items: (raw) => asArray<T>(asRecord(raw).issues) })
}

export interface JiraChangelogBulkPage { issueChangeLogs?: unknown[], nextPageToken?: string | null }

/** `POST /rest/api/3/changelog/bulkfetch` for ≤1000 issues. */
export function jiraChangelogBulkPages<T = Json> (
  client: ReadOnlyClient,
  o: IterateOptions<TokenState> & { issueIdsOrKeys: string[], fieldIds?: string[], maxResults?: number }
): AsyncGenerator<Page<T, JiraChangelogBulkPage, TokenState>> {
  const body = { issueIdsOrKeys: o.issueIdsOrKeys, maxResults: o.maxResults ?? 1000, ...(o.fieldIds ? { fieldIds: o.fieldIds } : {}) }
  return tokenPages<T, JiraChangelogBulkPage>(client, {
    ...o,
    request: { post: '/rest/api/3/changelog/bulkfetch', body },
    items: (raw) => asArray<T>(asRecord(raw).issueChangeLogs)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Cursor / next-link style. A link is followed as given (relative to the base URL, or absolute on its origin);
// a cursor is re-sent with the original query.

export interface LinkState { url: string }

export interface LinkPagingOptions<T, R> extends IterateOptions<LinkState> {
  path: string
  query?: Query
  items: (raw: R) => T[]
  /** The next link for the page, or null on the last page. */
  next: (raw: R, res: ReadOnlyResponse<R>) => string | null
  /** Also stop on a page without items (Bitbucket may send `next` on its last page). */
  stopOnEmpty?: boolean
}

function withQuery (path: string, query: Query | undefined): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) for (const x of v as ReadonlyArray<string | number | boolean>) params.append(k, String(x))
    else params.append(k, String(v))
  }
  const qs = params.toString()
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path
}

/** Absolute form of a link as the client would fetch it, so relative and absolute spellings compare equal. */
function linkKey (client: ReadOnlyClient, pathOrUrl: string): string {
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) return new URL(pathOrUrl).href
    const base = new URL(client.baseUrl)
    return new URL(base.origin + base.pathname.replace(/\/+$/, '') + pathOrUrl).href
  } catch {
    return pathOrUrl
  }
}

export async function * linkPages<T, R> (client: ReadOnlyClient, o: LinkPagingOptions<T, R>): AsyncGenerator<Page<T, R, LinkState>> {
  let state: LinkState = o.start ?? { url: withQuery(o.path, o.query) }
  const guard = new CursorGuard(client, o.path)
  for (let pageNumber = 1; ;) {
    const res = await client.get<R>(state.url, undefined, o)
    const items = o.items(res.body)
    const nextUrl = o.next(res.body, res)
    let end: PageEnd | undefined
    if (nextUrl === null) end = PageEnd.LastPage
    else if (o.stopOnEmpty === true && items.length === 0) end = PageEnd.EmptyPage
    else {
      const verdict = guard.judge(linkKey(client, state.url), linkKey(client, nextUrl), pageNumber)
      if (verdict === 'refetch') continue
      if (verdict === 'stop') end = PageEnd.RepeatedCursor
      else if (o.maxPages !== undefined && pageNumber >= o.maxPages) end = PageEnd.MaxPages
    }
    yield { items, raw: res.body, headers: res.headers, state, nextState: end ? null : { url: nextUrl as string }, ...(end ? { end } : {}), pageNumber }
    if (end) return
    state = { url: nextUrl as string }
    pageNumber++
  }
}

/** The rel="next" target of an RFC 8288 Link header, if any. */
export function linkHeaderNext (header: string | undefined): string | null {
  if (!header) return null
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part)
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2] ?? '')) return m[1] ?? null
  }
  return null
}

export interface ConfluenceV2Page { results?: unknown[], _links?: { next?: string, base?: string } }

/** Confluence v2 lists (`/wiki/api/v2/pages`, `/pages/{id}/versions`, blog posts): `_links.next` or the Link header. */
export function confluenceV2Pages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<LinkState> & { path: string, query?: Query }
): AsyncGenerator<Page<T, ConfluenceV2Page, LinkState>> {
  return linkPages<T, ConfluenceV2Page>(client, {
    ...o,
    items: (raw) => asArray<T>(asRecord(raw).results),
    next: (raw, res) => asString(asRecord(asRecord(raw)._links).next) ?? linkHeaderNext(res.headers.link)
  })
}

export interface ConfluenceSearchPage { results?: unknown[], start?: number, limit?: number, size?: number, _links?: { base?: string, next?: string } }

/**
 * Confluence CQL search (`/wiki/rest/api/search`, `/wiki/rest/api/content/search`): `_links.next` is relative to
 * `_links.base` (e.g. `https://site/wiki` + `/rest/api/search?...`). Only the base's path is used, so the link is
 * followed through this client's own base URL (site or gateway), never another origin.
 */
export function confluenceSearchPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<LinkState> & { cql: string, limit?: number, expand?: string, path?: string, query?: Query }
): AsyncGenerator<Page<T, ConfluenceSearchPage, LinkState>> {
  return linkPages<T, ConfluenceSearchPage>(client, {
    ...o,
    path: o.path ?? '/wiki/rest/api/search',
    query: { ...o.query, cql: o.cql, limit: o.limit ?? 25, expand: o.expand },
    items: (raw) => asArray<T>(asRecord(raw).results),
    next: (raw) => {
      const links = asRecord(asRecord(raw)._links)
      const next = asString(links.next)
      if (next === null) return null
      if (/^[a-z][a-z0-9+.-]*:/i.test(next)) return next // absolute: the client checks the origin
      const base = asString(links.base)
      let basePath = '/wiki'
      if (base !== null) {
        try { basePath = new URL(base).pathname.replace(/\/+$/, '') } catch { basePath = base.replace(/\/+$/, '') }
      }
      return next.startsWith(basePath + '/') ? next : basePath + (next.startsWith('/') ? next : '/' + next)
    }
  })
}

export interface BitbucketPage { values?: unknown[], next?: string, pagelen?: number, page?: number, size?: number }

/** Bitbucket 2.0 lists: absolute `next` URLs; also stops on empty `values` (BCLOUD-22441: `next` on the last page). */
export function bitbucketPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<LinkState> & { path: string, query?: Query }
): AsyncGenerator<Page<T, BitbucketPage, LinkState>> {
  return linkPages<T, BitbucketPage>(client, {
    ...o,
    rateProfile: o.rateProfile ?? 'bitbucket',
    stopOnEmpty: true,
    items: (raw) => asArray<T>(asRecord(raw).values),
    next: (raw) => asString(asRecord(raw).next)
  })
}

export interface JiraWorklogUpdatedPage { values?: unknown[], since?: number, until?: number, nextPage?: string, lastPage?: boolean, self?: string }

/**
 * `GET /rest/api/3/worklog/updated?since=` : follow `nextPage` until `lastPage` (nextPage is present on the last
 * page too). When nextPage points at another origin (a site URL seen through the gateway), the equivalent
 * `since=<until>` request is built on this client's base instead.
 */
export function jiraWorklogUpdatedPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<LinkState> & { since: number, expand?: string }
): AsyncGenerator<Page<T, JiraWorklogUpdatedPage, LinkState>> {
  const path = '/rest/api/3/worklog/updated'
  const origin = new URL(client.baseUrl).origin
  return linkPages<T, JiraWorklogUpdatedPage>(client, {
    ...o,
    path,
    query: { since: o.since, expand: o.expand },
    stopOnEmpty: true,
    items: (raw) => asArray<T>(asRecord(raw).values),
    next: (raw) => {
      const r = asRecord(raw)
      if (r.lastPage === true) return null
      const nextPage = asString(r.nextPage)
      const until = asNumber(r.until)
      if (nextPage !== null && (!/^[a-z][a-z0-9+.-]*:/i.test(nextPage) || new URL(nextPage).origin === origin)) return nextPage
      return until !== undefined ? withQuery(path, { since: until, expand: o.expand }) : nextPage
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Admin API cursors (`meta.next`), re-sent as `cursor` with the original query.

export interface CursorState { cursor: string | null }

export interface AdminEventsPage { data?: unknown[], meta?: { next?: string | null, page_size?: number }, links?: { next?: string | null } }

export interface CursorPagingOptions<T, R> extends IterateOptions<CursorState> {
  path: string
  query?: Query
  items: (raw: R) => T[]
  cursor: (raw: R) => string | null
  /** The events stream returns a cursor on its last page: an empty page ends the sweep. */
  emptyPageEnds: boolean
}

export async function * cursorPages<T, R> (client: ReadOnlyClient, o: CursorPagingOptions<T, R>): AsyncGenerator<Page<T, R, CursorState>> {
  let state: CursorState = o.start ?? { cursor: null }
  const guard = new CursorGuard(client, o.path)
  for (let pageNumber = 1; ;) {
    const res = await client.get<R>(o.path, { ...o.query, ...(state.cursor ? { cursor: state.cursor } : {}) }, o)
    const items = o.items(res.body)
    const next = o.cursor(res.body)
    let end: PageEnd | undefined
    if (items.length === 0 && (o.emptyPageEnds || next === null)) end = PageEnd.EmptyPage
    else if (next === null) end = PageEnd.LastPage
    else {
      const verdict = guard.judge(state.cursor, next, pageNumber)
      if (verdict === 'refetch') continue
      if (verdict === 'stop') end = PageEnd.RepeatedCursor
      else if (o.maxPages !== undefined && pageNumber >= o.maxPages) end = PageEnd.MaxPages
    }
    yield { items, raw: res.body, headers: res.headers, state, nextState: end ? null : { cursor: next as string }, ...(end ? { end } : {}), pageNumber }
    if (end) return
    state = { cursor: next as string }
    pageNumber++
  }
}

const adminCursor = (raw: unknown): string | null => {
  const r = asRecord(raw)
  const meta = asString(asRecord(r.meta).next)
  if (meta !== null) return meta
  // links.next is a URL carrying the cursor; take the cursor out so the request stays on our base.
  const link = asString(asRecord(r.links).next)
  if (link === null) return null
  try { return new URL(link, 'http://x').searchParams.get('cursor') } catch { return null }
}

/**
 * `GET /admin/v1/orgs/{orgId}/events-stream` (client base URL ends in /admin): ascending by processing time;
 * a cursor comes back even on the last page, so an empty page ends the sweep. Checkpoint `nextState ?? state`:
 * the cursor that returned the empty page is where the next poll resumes.
 */
export function adminEventsStreamPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<CursorState> & { orgId: string, query?: Query }
): AsyncGenerator<Page<T, AdminEventsPage, CursorState>> {
  return cursorPages<T, AdminEventsPage>(client, {
    ...o,
    rateProfile: o.rateProfile ?? 'admin',
    path: `/v1/orgs/${encodeURIComponent(o.orgId)}/events-stream`,
    emptyPageEnds: true,
    items: (raw) => asArray<T>(asRecord(raw).data),
    cursor: adminCursor
  })
}

/** `GET /admin/v1/orgs/{orgId}/events` (10 requests/minute: rate profile adminEvents); stops when no next cursor. */
export function adminEventsPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<CursorState> & { orgId: string, query?: Query }
): AsyncGenerator<Page<T, AdminEventsPage, CursorState>> {
  return cursorPages<T, AdminEventsPage>(client, {
    ...o,
    rateProfile: o.rateProfile ?? 'adminEvents',
    path: `/v1/orgs/${encodeURIComponent(o.orgId)}/events`,
    emptyPageEnds: false,
    items: (raw) => asArray<T>(asRecord(raw).data),
    cursor: adminCursor
  })
}

/** `GET /admin/v1/orgs/{orgId}/users` (managed accounts), cursor paging. */
export function adminUsersPages<T = Json> (
  client: ReadOnlyClient, o: IterateOptions<CursorState> & { orgId: string, query?: Query }
): AsyncGenerator<Page<T, AdminEventsPage, CursorState>> {
  return cursorPages<T, AdminEventsPage>(client, {
    ...o,
    rateProfile: o.rateProfile ?? 'admin',
    path: `/v1/orgs/${encodeURIComponent(o.orgId)}/users`,
    emptyPageEnds: false,
    items: (raw) => asArray<T>(asRecord(raw).data),
    cursor: adminCursor
  })
}

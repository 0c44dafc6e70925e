// Bitbucket Cloud activity: every repository of the workspace, then per repository its commits, pull requests
// (every state) and the repo-wide PR activity log. None of these endpoints filters by date (API-NOTES §4b), so each
// stream is walked newest first until it is older than that stream's watermark, with a checkpoint after every page.
import { Availability, SourceId, type Connector, type RunOutcome, type SiteConfig, type SyncContext } from '../connector.js'
import type { EventDraft } from '../../events/event.js'
import { asArray, asRecord, asString, formatWindow, throwIfAborted } from '../jira/site-api.js'
import type { JsonApi, Query } from '../org-admin/admin-api.js'
import { BitbucketPagingStuckError } from './errors.js'
import { activityKindOf, mapCommit, mapPullRequestActivity, mapPullRequestOpened, repoRefOf, type RepoRef } from './bitbucket-mapper.js'

const RETENTION_MS = 365 * 24 * 60 * 60 * 1000
const ALL_PR_STATES = ['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED'] as const
/** A next link that points at the page just read (a known server fault) is followed this often, then the run fails. */
const MAX_REPEATED_NEXT = 5

export interface BitbucketConnectorDeps {
  /** Builds (or returns a cached) read-only client for the site's Bitbucket base URL (which ends in /2.0). */
  clientFor: (site: SiteConfig) => JsonApi
  /** pagelen for pull requests and PR activity (Bitbucket caps them at 50); commits use twice this, up to 100. */
  pageSize?: number
  /** How far behind each watermark a run starts re-reading, for late-arriving records. */
  overlapMs?: number
  /** Repositories walked at once (each repository's streams stay in order); the client's limiter still applies. */
  repoConcurrency?: number
}

export const BitbucketStream = Object.freeze({ Commits: 'commits', PullRequests: 'pullrequests', Activity: 'activity' } as const)
export type BitbucketStream = typeof BitbucketStream[keyof typeof BitbucketStream]

export interface StreamState {
  /** Newest record time fully walked down to the previous watermark; null before the first complete walk. */
  watermark: number | null
  /** A walk in progress: the next link to continue from and the newest time seen so far in it. */
  resume: { next: string, newest: number | null } | null
}

export interface RepoState { key: string, streams: Record<BitbucketStream, StreamState> }

export interface BitbucketCheckpoint {
  /** An array, not a map keyed by repository: names may contain dots, which MongoDB keys may not. */
  repos: RepoState[]
}

export function bitbucketNotConfiguredReason (site: SiteConfig): string | null {
  if (site.bitbucketWorkspace === null || site.bitbucketApiToken === null) {
    return 'Bitbucket needs a workspace and an API token (ATLASLENS_BITBUCKET_WORKSPACE, ATLASLENS_BITBUCKET_API_TOKEN)'
  }
  return null
}

function emptyStream (): StreamState { return { watermark: null, resume: null } }

function readStream (raw: unknown): StreamState {
  const s = asRecord(raw)
  const resume = asRecord(s.resume)
  const next = asString(resume.next)
  return {
    watermark: typeof s.watermark === 'number' ? s.watermark : null,
    resume: next !== null ? { next, newest: typeof resume.newest === 'number' ? resume.newest : null } : null
  }
}

export function readBitbucketCheckpoint (raw: SyncContext['checkpoint']): BitbucketCheckpoint {
  return {
    repos: asArray(asRecord(raw).repos).map(asRecord).flatMap((r) => {
      const key = asString(r.key)
      if (key === null) return []
      const streams = asRecord(r.streams)
      return [{
        key,
        streams: {
          commits: readStream(streams.commits),
          pullrequests: readStream(streams.pullrequests),
          activity: readStream(streams.activity)
        }
      }]
    })
  }
}

function timeOf (value: unknown): number | null {
  const text = asString(value)
  if (text === null) return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms
}

interface StreamSpec {
  stream: BitbucketStream
  path: string
  query: Query
  /** The time the listing is ordered by (newest first). */
  orderTime: (item: unknown) => number | null
  /** 'strict': any step forward in time disables the early stop (the order was only asked for);
   *  'loose': only a page whose first record is older than its last does (commits are topological, dates wobble). */
  order: 'strict' | 'loose'
  map: (item: unknown) => EventDraft | null
}

function segment (value: string): string {
  return encodeURIComponent(value)
}

export function createBitbucketConnector (deps: BitbucketConnectorDeps): Connector {
  const pageSize = deps.pageSize ?? 50
  const overlapMs = deps.overlapMs ?? 60 * 60 * 1000
  const repoConcurrency = Math.max(1, deps.repoConcurrency ?? 3)

  return {
    source: SourceId.BitbucketActivity,
    label: 'Bitbucket activity (commits, pull requests)',
    notConfiguredReason: bitbucketNotConfiguredReason,
    async run (ctx: SyncContext): Promise<RunOutcome> {
      const outcome: RunOutcome = { availability: Availability.Ok, pages: 0, records: 0, inserted: 0 }
      const notConfigured = bitbucketNotConfiguredReason(ctx.site)
      if (notConfigured !== null) return { ...outcome, availability: Availability.NotConfigured, reason: notConfigured }
      const api = deps.clientFor(ctx.site)
      const workspace = ctx.site.bitbucketWorkspace as string
      const checkpoint = readBitbucketCheckpoint(ctx.checkpoint)
      const report = (): void => ctx.progress({ pages: outcome.pages, records: outcome.records, inserted: outcome.inserted })

      // One counter per walk (repositories are walked concurrently).
      const getPage = async (path: string, query: Query | undefined, repeats: { n: number }): Promise<{ values: unknown[], next: string | null }> => {
        throwIfAborted(ctx.signal)
        const page = asRecord(await api.get(path, query, { signal: ctx.signal }))
        const next = asString(page.next)
        // Re-reading a repeated page is harmless (upserts); following it forever is not.
        repeats.n = next !== null && next === path ? repeats.n + 1 : 0
        if (repeats.n > MAX_REPEATED_NEXT) throw new BitbucketPagingStuckError(path.replace(/\?.*$/, ''))
        return { values: asArray(page.values), next: next === '' ? null : next }
      }
      // Concurrent walks share one checkpoint document: commits are chained so an older snapshot never lands last.
      let committing: Promise<void> = Promise.resolve()
      const commit = async (): Promise<void> => {
        const next = committing.then(async () => await ctx.commitCheckpoint(checkpoint as unknown as Record<string, unknown>))
        committing = next.catch(() => {})
        await next
      }

      // Repositories first, every page: a repository list is small enough to hold.
      const repos: Array<{ ref: RepoRef, slug: string }> = []
      let reposPath: string | null = `/repositories/${segment(workspace)}`
      let reposQuery: Query | undefined = { pagelen: 100 }
      const reposRepeats = { n: 0 }
      while (reposPath !== null) {
        const page = await getPage(reposPath, reposQuery, reposRepeats)
        outcome.pages++
        for (const raw of page.values) {
          const ref = repoRefOf(raw)
          const slug = asString(asRecord(raw).slug) ?? ref?.fullName.split('/')[1] ?? null
          if (ref !== null && slug !== null && !repos.some((r) => r.ref.key === ref.key)) repos.push({ ref, slug })
        }
        // Some endpoints return next on the last page (BCLOUD-22441): an empty page ends the walk too.
        reposPath = page.values.length === 0 ? null : page.next
        reposQuery = undefined
      }
      report()

      const stateOf = (key: string): RepoState => {
        let state = checkpoint.repos.find((r) => r.key === key)
        if (state === undefined) {
          state = { key, streams: { commits: emptyStream(), pullrequests: emptyStream(), activity: emptyStream() } }
          checkpoint.repos.push(state)
        }
        return state
      }

      const walk = async (repo: RepoRef, spec: StreamSpec): Promise<void> => {
        const state = stateOf(repo.key).streams[spec.stream]
        const now = ctx.now().getTime()
        const since = state.watermark === null ? now - RETENTION_MS : Math.max(now - RETENTION_MS, state.watermark - overlapMs)
        ctx.progress({ window: `${repo.fullName} ${spec.stream}: ${formatWindow(since, now)}` })
        const path = state.resume?.next ?? spec.path
        const query: Query | undefined = state.resume !== null ? undefined : spec.query
        let newest = state.resume?.newest ?? null
        let ordered = true
        let previous: number | null = null
        const repeats = { n: 0 }
        let pending = getPage(path, query, repeats)
        for (;;) {
          const page = await pending
          outcome.pages++
          outcome.records += page.values.length
          const drafts: EventDraft[] = []
          let oldest: number | null = null
          let first: number | null = null
          let last: number | null = null
          for (const item of page.values) {
            const t = spec.orderTime(item)
            if (t !== null) {
              if (spec.order === 'strict' && previous !== null && t > previous) ordered = false
              first ??= t
              last = t
              previous = t
              if (newest === null || t > newest) newest = t
              if (oldest === null || t < oldest) oldest = t
            }
            const draft = spec.map(item)
            if (draft !== null) drafts.push(draft)
          }
          if (first !== null && last !== null && first < last) ordered = false
          // An unordered listing is walked to its end: stopping early could skip records.
          const reachedWatermark = ordered && oldest !== null && oldest < since
          const done = page.values.length === 0 || page.next === null || reachedWatermark
          if (!done) {
            // One page ahead: the next page downloads while this one is written. Its state moves only after this
            // page's checkpoint below; if this page fails, the read is dropped (caught here, never awaited).
            pending = getPage(page.next as string, undefined, repeats)
            pending.catch(() => {})
          }
          if (drafts.length > 0) {
            // Awaited first: `x += await y` would read x before the wait and drop other lanes' counts.
            const { inserted } = await ctx.ingest(drafts)
            outcome.inserted += inserted
          }
          if (done) {
            // The whole range down to the old watermark is written: only now may the watermark move up.
            if (newest !== null && (state.watermark === null || newest > state.watermark)) state.watermark = newest
            state.resume = null
          } else {
            state.resume = { next: page.next as string, newest }
          }
          await commit()
          report()
          if (done) return
        }
      }

      const walkRepo = async ({ ref, slug }: { ref: RepoRef, slug: string }): Promise<void> => {
        const prCreated = new Map<string, number>()
        const base = `/repositories/${segment(workspace)}/${segment(slug)}`
        // Commits are independent of pull requests: walked beside them. PR activity needs the PRs' creation times,
        // so it follows the PR walk. Both settle before the repository counts as done (no write after the run).
        const commits = walk(ref, {
          stream: BitbucketStream.Commits,
          path: `${base}/commits`,
          query: { pagelen: Math.min(100, pageSize * 2) },
          orderTime: (item) => timeOf(asRecord(item).date),
          // Commits come in topological order: dates may step back and forth.
          order: 'loose',
          map: (item) => mapCommit(item, ref, ctx.site)
        })
        const pullRequests = (async () => {
          await walk(ref, {
            stream: BitbucketStream.PullRequests,
            path: `${base}/pullrequests`,
            query: { state: ALL_PR_STATES, sort: '-updated_on', pagelen: pageSize },
            orderTime: (item) => timeOf(asRecord(item).updated_on) ?? timeOf(asRecord(item).created_on),
            order: 'strict',
            map: (item) => {
              const pr = asRecord(item)
              const created = timeOf(pr.created_on)
              if (created !== null && asString(pr.id) !== null) prCreated.set(asString(pr.id) as string, created)
              return mapPullRequestOpened(item, ref, ctx.site)
            }
          })
          await walk(ref, {
            stream: BitbucketStream.Activity,
            path: `${base}/pullrequests/activity`,
            query: { pagelen: pageSize },
            orderTime: (item) => timeOf(activityKindOf(item)?.date),
            order: 'strict',
            map: (item) => mapPullRequestActivity(item, ref, ctx.site, (id) => prCreated.get(id))
          })
        })()
        const settled = await Promise.allSettled([commits, pullRequests])
        const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failure) throw failure.reason
      }
      // A few repositories at a time: a run is otherwise one long chain of round trips, each waiting on the last.
      let nextRepo = 0
      let failed = false
      const lane = async (): Promise<void> => {
        while (!failed && nextRepo < repos.length) {
          const repo = repos[nextRepo++] as { ref: RepoRef, slug: string }
          try {
            await walkRepo(repo)
          } catch (err) {
            failed = true // the other lanes stop at their next repository
            throw err
          }
        }
      }
      const lanes = await Promise.allSettled(Array.from({ length: Math.min(repoConcurrency, repos.length) }, lane))
      const rejected = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected')
      if (rejected) throw rejected.reason
      ctx.progress({ window: null })
      return outcome
    }
  }
}

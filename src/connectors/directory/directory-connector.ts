// The directory: users (org admin API where an org key is configured, Jira users otherwise or as well) and groups
// with their full membership (Jira group API). It writes current state to identities and teams through
// ctx.directory, not events; each run is a full snapshot, so removals from a group remove the membership.
import { Availability, SourceId, type Connector, type DirectorySink, type RunOutcome, type SiteConfig, type SyncContext } from '../connector.js'
import { asArray, asRecord, asString, throwIfAborted } from '../jira/site-api.js'
import { httpStatusOf, type JsonApi } from '../org-admin/admin-api.js'
import { nextCursorOf } from '../org-admin/org-events-connector.js'
import { DirectorySinkMissingError } from './errors.js'
import { mapAdminUser, mapJiraGroup, mapJiraUser } from './directory-mapper.js'

export interface DirectoryConnectorDeps {
  /** Read-only clients: the admin API (org API key, base ends in /admin) and Jira (site origin). */
  clientFor: (site: SiteConfig, api: 'admin' | 'jira') => JsonApi
  pageSize?: number
}

/** A misbehaving server must not keep one run paging forever. */
const MAX_PAGES = 100_000

function hasAdmin (site: SiteConfig): boolean { return site.orgId !== null && site.orgApiKey !== null }
function hasJira (site: SiteConfig): boolean { return site.baseUrls.jira !== null && site.jiraApiToken !== null && site.email !== null }

export function directoryNotConfiguredReason (site: SiteConfig): string | null {
  if (hasAdmin(site) || hasJira(site)) return null
  return 'The directory needs an org id and org API key (managed users) or a Jira site with an API token (users and groups)'
}

export function createDirectoryConnector (deps: DirectoryConnectorDeps): Connector {
  const pageSize = deps.pageSize ?? 100

  async function adminUsers (ctx: SyncContext, sink: DirectorySink, outcome: RunOutcome): Promise<void> {
    const api = deps.clientFor(ctx.site, 'admin')
    const path = `/v1/orgs/${encodeURIComponent(ctx.site.orgId as string)}/users`
    const seen = new Set<string>()
    let cursor: string | null = null
    for (let n = 0; n < MAX_PAGES; n++) {
      throwIfAborted(ctx.signal)
      const page = await api.get(path, cursor === null ? {} : { cursor }, { signal: ctx.signal })
      const users = asArray(asRecord(page).data).flatMap((u) => { const m = mapAdminUser(u); return m === null ? [] : [m] })
      outcome.pages++
      outcome.records += users.length
      if (users.length > 0) await sink.upsertUsers(users)
      ctx.progress({ pages: outcome.pages, records: outcome.records })
      const next = nextCursorOf(page)
      // Paging ends without a next cursor; a cursor seen before (a repeating server) ends it too.
      if (next === null || users.length === 0 || seen.has(next)) return
      seen.add(next)
      cursor = next
    }
  }

  /** startAt paging over Jira lists that return either a bare array or {values, isLast}. */
  async function jiraPages (ctx: SyncContext, api: JsonApi, path: string, query: Record<string, string | number | boolean>, max: number, each: (values: unknown[]) => Promise<void>): Promise<number> {
    let startAt = 0
    let pages = 0
    for (; pages < MAX_PAGES; pages++) {
      throwIfAborted(ctx.signal)
      const body = await api.get(path, { ...query, startAt, maxResults: max }, { signal: ctx.signal })
      const values = Array.isArray(body) ? body : asArray(asRecord(body).values)
      if (values.length > 0) await each(values)
      const isLast = Array.isArray(body) ? values.length < max : asRecord(body).isLast !== false || values.length === 0
      if (values.length === 0 || isLast) return pages + 1
      startAt += values.length
    }
    return pages
  }

  async function jiraDirectory (ctx: SyncContext, sink: DirectorySink, outcome: RunOutcome): Promise<void> {
    const api = deps.clientFor(ctx.site, 'jira')
    outcome.pages += await jiraPages(ctx, api, '/rest/api/3/users/search', {}, pageSize, async (values) => {
      const users = values.flatMap((u) => { const m = mapJiraUser(u); return m === null ? [] : [m] })
      outcome.records += users.length
      if (users.length > 0) await sink.upsertUsers(users)
      ctx.progress({ pages: outcome.pages, records: outcome.records })
    })
    const groups: Array<{ name: string, id: string | null }> = []
    outcome.pages += await jiraPages(ctx, api, '/rest/api/3/group/bulk', {}, 50, async (values) => {
      for (const g of values) { const m = mapJiraGroup(g); if (m !== null) groups.push(m) }
    })
    for (const group of groups) {
      ctx.progress({ window: `group ${group.name}` })
      const members = new Set<string>()
      // Inactive users stay members of their groups; the directory mirrors membership, not activity.
      const query: Record<string, string | boolean> = group.id !== null ? { groupId: group.id, includeInactiveUsers: true } : { groupname: group.name, includeInactiveUsers: true }
      outcome.pages += await jiraPages(ctx, api, '/rest/api/3/group/member', query, 50, async (values) => {
        for (const u of values) { const id = asString(asRecord(u).accountId); if (id !== null && id !== '') members.add(id) }
      })
      // The complete member list only: a partial list would remove the members on pages not read.
      await sink.replaceGroupMembers(group, [...members])
      outcome.records += 1
    }
  }

  return {
    source: SourceId.Directory,
    label: 'Directory (users and groups)',
    notConfiguredReason: directoryNotConfiguredReason,
    async run (ctx: SyncContext): Promise<RunOutcome> {
      const outcome: RunOutcome = { availability: Availability.Ok, pages: 0, records: 0, inserted: 0 }
      const notConfigured = directoryNotConfiguredReason(ctx.site)
      if (notConfigured !== null) return { ...outcome, availability: Availability.NotConfigured, reason: notConfigured }
      const sink = ctx.directory
      if (sink === undefined) throw new DirectorySinkMissingError()
      if (hasAdmin(ctx.site)) {
        try {
          await adminUsers(ctx, sink, outcome)
        } catch (err) {
          const status = httpStatusOf(err)
          // Without Jira there is nothing else to read; with it, an admin API refusal costs only enrichment.
          if (!hasJira(ctx.site) || status === null) throw err
          ctx.logger.warn({ source: SourceId.Directory, status }, 'admin users API refused; continuing with Jira users only')
        }
      }
      if (hasJira(ctx.site)) await jiraDirectory(ctx, sink, outcome)
      await ctx.commitCheckpoint({ lastSnapshotAt: ctx.now().toISOString(), records: outcome.records })
      ctx.progress({ pages: outcome.pages, records: outcome.records, window: null })
      return outcome
    }
  }
}

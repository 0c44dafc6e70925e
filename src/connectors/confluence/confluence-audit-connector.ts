// Confluence audit log (GET /wiki/rest/api/audit) with startDate/endDate in epoch milliseconds, start/limit paging.
import { SourceId, type Connector, type SiteConfig } from '../connector.js'
import { DEFAULT_AUDIT_OPTIONS, runAuditWindows, type AuditWindowOptions } from '../jira/audit-window-runner.js'
import { asArray, asRecord, httpStatusOf, withTransientRetry, type AtlassianConnectorDeps } from '../jira/site-api.js'
import { mapConfluenceAuditRecord } from './confluence-audit-mapper.js'

export const CONFLUENCE_AUDIT_PATH = '/wiki/rest/api/audit'

export function confluenceNotConfiguredReason (site: SiteConfig): string | null {
  if (site.baseUrls.confluence === null) return 'No Confluence site configured'
  // A classic API token works for both products (the client factory falls back to the Jira token).
  if (site.confluenceApiToken === null && site.jiraApiToken === null) return 'No Confluence API token configured'
  if (site.email === null) return 'No Atlassian account email configured'
  return null
}

export function createConfluenceAuditConnector (deps: AtlassianConnectorDeps, options: Partial<AuditWindowOptions> = {}): Connector {
  const opts = { ...DEFAULT_AUDIT_OPTIONS, ...options }
  return {
    source: SourceId.ConfluenceAudit,
    label: 'Confluence audit log',
    notConfiguredReason: confluenceNotConfiguredReason,
    async run (ctx) {
      const api = withTransientRetry(deps.clientFor(ctx.site, 'confluence'))
      return await runAuditWindows(ctx, {
        async fetchPage (from, to, start, limit, signal) {
          const body = asRecord((await api.get(CONFLUENCE_AUDIT_PATH, { startDate: from, endDate: to, start, limit }, { signal })).body)
          const records = asArray(body.results)
          // The server may cap `limit`; trust the limit it reports, and an empty page always ends the window.
          const effective = typeof body.limit === 'number' && body.limit > 0 ? Math.min(body.limit, limit) : limit
          return { records, last: records.length === 0 || records.length < effective }
        },
        map: (record) => mapConfluenceAuditRecord(record, ctx.site),
        unavailableReason: (status) => status === 403
          ? 'Confluence audit log needs the Confluence Administrator permission and a paid plan'
          : status === 404 ? 'Confluence audit log API not found on this site' : null,
        statusOf: httpStatusOf
      }, opts)
    }
  }
}

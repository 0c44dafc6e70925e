// Jira audit records (GET /rest/api/3/auditing/record), fetched once and split into Jira and JSM events by eventSource.
import { SourceId, type Connector, type SiteConfig } from '../connector.js'
import { DEFAULT_AUDIT_OPTIONS, runAuditWindows, type AuditWindowOptions } from './audit-window-runner.js'
import { mapJiraAuditRecord } from './jira-audit-mapper.js'
import { asArray, asRecord, httpStatusOf, withTransientRetry, type AtlassianConnectorDeps } from './site-api.js'

export const JIRA_AUDIT_PATH = '/rest/api/3/auditing/record'

export function jiraNotConfiguredReason (site: SiteConfig): string | null {
  if (site.baseUrls.jira === null) return 'No Jira site configured'
  if (site.jiraApiToken === null) return 'No Jira API token configured'
  if (site.email === null) return 'No Atlassian account email configured'
  return null
}

/** `from`/`to` are "on or after" / "on or before" (inclusive); ISO-8601 with milliseconds and Z. */
export function jiraAuditQuery (from: number, to: number, offset: number, limit: number): Record<string, string | number> {
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), offset, limit }
}

export function createJiraAuditConnector (deps: AtlassianConnectorDeps, options: Partial<AuditWindowOptions> = {}): Connector {
  const opts = { ...DEFAULT_AUDIT_OPTIONS, ...options }
  return {
    source: SourceId.JiraAudit,
    label: 'Jira & JSM audit log',
    notConfiguredReason: jiraNotConfiguredReason,
    async run (ctx) {
      const api = withTransientRetry(deps.clientFor(ctx.site, 'jira'))
      return await runAuditWindows(ctx, {
        async fetchPage (from, to, offset, limit, signal) {
          const body = asRecord((await api.get(JIRA_AUDIT_PATH, jiraAuditQuery(from, to, offset, limit), { signal })).body)
          const records = asArray(body.records)
          const total = typeof body.total === 'number' ? body.total : null
          // The server may cap `limit` below what we asked, so a short page alone does not mean the end.
          const last = total !== null ? offset + records.length >= total : records.length === 0
          return { records, last }
        },
        map: (record) => mapJiraAuditRecord(record, ctx.site),
        unavailableReason: (status) => status === 403
          ? 'Jira audit log needs the Administer Jira permission and a paid Jira plan'
          : status === 404 ? 'Jira audit log API not found on this site' : null,
        statusOf: httpStatusOf
      }, opts)
    }
  }
}

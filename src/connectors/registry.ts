// The connector registry: every source's connector, wired to read-only clients, crossed with the configured sites.
import type { Connector, SiteConfig } from './connector.js'
import { ApiName, type ClientFactory } from './client-factory.js'
import { createJiraAuditConnector } from './jira/jira-audit-connector.js'
import { createConfluenceAuditConnector } from './confluence/confluence-audit-connector.js'
import { createOrgEventsConnector } from './org-admin/org-events-connector.js'

export interface RegistryEntry {
  site: SiteConfig
  connector: Connector
}

/** One connector per source; connectors are site-independent (the site arrives in each run's SyncContext). */
export function createConnectors (clients: ClientFactory): Connector[] {
  const atlassian = { clientFor: (site: SiteConfig, api: 'jira' | 'confluence') => clients.client(site, api) }
  return [
    createJiraAuditConnector(atlassian),
    createConfluenceAuditConnector(atlassian),
    createOrgEventsConnector({ clientFor: (site) => clients.json(site, ApiName.Admin) as never })
  ]
}

/** Every site × source, in configuration order. */
export function buildRegistry (sites: readonly SiteConfig[], connectors: readonly Connector[]): RegistryEntry[] {
  return sites.flatMap((site) => connectors.map((connector) => ({ site, connector })))
}

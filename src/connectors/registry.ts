// The connector registry: every source's connector, wired to read-only clients, crossed with the configured sites.
import type { Connector, SiteConfig } from './connector.js'
import { ApiName, type ClientFactory } from './client-factory.js'
import { createJiraAuditConnector } from './jira/jira-audit-connector.js'
import { createJiraActivityConnector } from './jira/jira-activity-connector.js'
import { createConfluenceAuditConnector } from './confluence/confluence-audit-connector.js'
import { createConfluenceActivityConnector } from './confluence/confluence-activity-connector.js'
import { createOrgEventsConnector } from './org-admin/org-events-connector.js'
import { createBitbucketConnector } from './bitbucket/bitbucket-connector.js'
import { createDirectoryConnector } from './directory/directory-connector.js'

export interface RegistryEntry {
  site: SiteConfig
  connector: Connector
}

/** One connector per source; connectors are site-independent (the site arrives in each run's SyncContext). */
export function createConnectors (clients: ClientFactory): Connector[] {
  const atlassian = { clientFor: (site: SiteConfig, api: 'jira' | 'confluence') => clients.client(site, api) }
  return [
    createJiraAuditConnector(atlassian),
    createJiraActivityConnector(atlassian),
    createConfluenceAuditConnector(atlassian),
    createConfluenceActivityConnector(atlassian),
    createOrgEventsConnector({ clientFor: (site) => clients.json(site, ApiName.Admin) }),
    createBitbucketConnector({ clientFor: (site) => clients.json(site, ApiName.Bitbucket) }),
    createDirectoryConnector({ clientFor: (site, api) => clients.json(site, api) })
  ]
}

/** Every site × source, in configuration order. */
export function buildRegistry (sites: readonly SiteConfig[], connectors: readonly Connector[]): RegistryEntry[] {
  return sites.flatMap((site) => connectors.map((connector) => ({ site, connector })))
}

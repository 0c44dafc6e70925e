// A SiteConfig for mapper and connector tests (not a test file: .taprc runs *.test.ts only).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { SiteConfig } from '../../../src/connectors/connector.js'

export function testSite (baseUrl: string | null = null, overrides: Partial<SiteConfig> = {}): SiteConfig {
  return {
    id: 'acme.atlassian.net',
    site: 'acme.atlassian.net',
    cloudId: null,
    email: 'admin@example.com',
    jiraApiToken: 'sim-token',
    confluenceApiToken: 'sim-token',
    bitbucketWorkspace: null,
    bitbucketApiToken: null,
    bitbucketEmail: null,
    orgId: null,
    orgApiKey: null,
    baseUrls: { jira: baseUrl ?? 'https://acme.atlassian.net', confluence: baseUrl ?? 'https://acme.atlassian.net', bitbucket: 'https://api.bitbucket.org/2.0', admin: 'https://api.atlassian.com/admin' },
    ...overrides
  }
}

export function fixture (relative: string): unknown {
  const path = fileURLToPath(new URL(`../../fixtures/atlassian/${relative}`, import.meta.url))
  return JSON.parse(readFileSync(path, 'utf8'))
}

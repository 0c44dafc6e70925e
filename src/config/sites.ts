// Atlassian sites from the environment (one site) or ATLASLENS_SITES_FILE (several; secrets by file reference).
import { readFileSync } from 'node:fs'
import type { SiteConfig } from '../connectors/connector.js'
import { type Env, nonEmpty, readSecret, readSecretFile } from './secret-source.js'

const DEFAULT_BITBUCKET_BASE = 'https://api.bitbucket.org/2.0'
const DEFAULT_ADMIN_BASE = 'https://api.atlassian.com/admin'

interface SiteInput {
  id?: string
  site: string | null
  cloudId: string | null
  email: string | null
  jiraApiToken: string | null
  confluenceApiToken: string | null
  bitbucketWorkspace: string | null
  bitbucketApiToken: string | null
  bitbucketEmail: string | null
  orgId: string | null
  orgApiKey: string | null
  jiraBaseUrl: string | null
  confluenceBaseUrl: string | null
  bitbucketBaseUrl: string | null
  adminBaseUrl: string | null
}

export function loadSites (env: Env, problems: string[]): SiteConfig[] {
  const file = nonEmpty(env.ATLASLENS_SITES_FILE)
  if (file !== null) return loadSitesFile(file, problems)
  const secret = (name: string): string | null => {
    const r = readSecret(env, name)
    if (r.problem !== null) problems.push(r.problem)
    return r.value
  }
  const input: SiteInput = {
    site: nonEmpty(env.ATLASLENS_ATLASSIAN_SITE),
    cloudId: nonEmpty(env.ATLASLENS_ATLASSIAN_CLOUD_ID),
    email: nonEmpty(env.ATLASLENS_ATLASSIAN_EMAIL),
    jiraApiToken: secret('ATLASLENS_JIRA_API_TOKEN'),
    confluenceApiToken: secret('ATLASLENS_CONFLUENCE_API_TOKEN'),
    bitbucketWorkspace: nonEmpty(env.ATLASLENS_BITBUCKET_WORKSPACE),
    bitbucketApiToken: secret('ATLASLENS_BITBUCKET_API_TOKEN'),
    bitbucketEmail: bitbucketEmail(env),
    orgId: nonEmpty(env.ATLASLENS_ORG_ID),
    orgApiKey: secret('ATLASLENS_ORG_API_KEY'),
    jiraBaseUrl: nonEmpty(env.ATLASLENS_JIRA_BASE_URL),
    confluenceBaseUrl: nonEmpty(env.ATLASLENS_CONFLUENCE_BASE_URL),
    bitbucketBaseUrl: nonEmpty(env.ATLASLENS_BITBUCKET_BASE_URL),
    adminBaseUrl: nonEmpty(env.ATLASLENS_ADMIN_BASE_URL)
  }
  if (input.site === null && input.bitbucketWorkspace === null && input.orgId === null) return []
  const site = buildSite(input, 'environment', problems)
  return site === null ? [] : [site]
}

// Bitbucket API tokens use Basic email:token; workspace/repository access tokens use Bearer.
function bitbucketEmail (env: Env): string | null {
  const kind = nonEmpty(env.ATLASLENS_BITBUCKET_TOKEN_KIND) ?? 'api-token'
  if (kind === 'access-token') return null
  return nonEmpty(env.ATLASLENS_BITBUCKET_EMAIL) ?? nonEmpty(env.ATLASLENS_ATLASSIAN_EMAIL)
}

function loadSitesFile (path: string, problems: string[]): SiteConfig[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    problems.push(`ATLASLENS_SITES_FILE cannot be read as JSON (${(err as Error).name})`)
    return []
  }
  if (!Array.isArray(parsed)) {
    problems.push('ATLASLENS_SITES_FILE must hold a JSON array of sites')
    return []
  }
  const sites: SiteConfig[] = []
  parsed.forEach((raw: unknown, index) => {
    const where = `ATLASLENS_SITES_FILE[${index}]`
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${where} must be an object`)
      return
    }
    const entry = raw as Record<string, unknown>
    const str = (key: string): string | null => {
      const v = entry[key]
      if (v === undefined || v === null) return null
      if (typeof v !== 'string') { problems.push(`${where}.${key} must be a string`); return null }
      return nonEmpty(v)
    }
    // Secrets are never inline in the file: only "<name>File" references.
    for (const inline of ['jiraApiToken', 'confluenceApiToken', 'bitbucketApiToken', 'orgApiKey']) {
      if (entry[inline] !== undefined) problems.push(`${where}.${inline} must not be inline; use ${inline}File`)
    }
    const secretFile = (key: string): string | null => {
      const file = str(`${key}File`)
      if (file === null) return null
      const r = readSecretFile(file, `${where}.${key}File`)
      if (r.problem !== null) problems.push(r.problem)
      return r.value
    }
    const known = new Set(['id', 'site', 'cloudId', 'email', 'jiraApiTokenFile', 'confluenceApiTokenFile',
      'bitbucketWorkspace', 'bitbucketApiTokenFile', 'bitbucketEmail', 'bitbucketTokenKind', 'orgId', 'orgApiKeyFile',
      'jiraBaseUrl', 'confluenceBaseUrl', 'bitbucketBaseUrl', 'adminBaseUrl',
      'jiraApiToken', 'confluenceApiToken', 'bitbucketApiToken', 'orgApiKey'])
    for (const key of Object.keys(entry)) {
      if (!known.has(key)) problems.push(`${where}.${key} is not a known setting`)
    }
    const email = str('email')
    const input: SiteInput = {
      id: str('id') ?? undefined,
      site: str('site'),
      cloudId: str('cloudId'),
      email,
      jiraApiToken: secretFile('jiraApiToken'),
      confluenceApiToken: secretFile('confluenceApiToken'),
      bitbucketWorkspace: str('bitbucketWorkspace'),
      bitbucketApiToken: secretFile('bitbucketApiToken'),
      bitbucketEmail: str('bitbucketTokenKind') === 'access-token' ? null : (str('bitbucketEmail') ?? email),
      orgId: str('orgId'),
      orgApiKey: secretFile('orgApiKey'),
      jiraBaseUrl: str('jiraBaseUrl'),
      confluenceBaseUrl: str('confluenceBaseUrl'),
      bitbucketBaseUrl: str('bitbucketBaseUrl'),
      adminBaseUrl: str('adminBaseUrl')
    }
    const site = buildSite(input, where, problems)
    if (site !== null) sites.push(site)
  })
  const ids = sites.map((s) => s.id)
  for (const id of new Set(ids)) {
    if (ids.filter((x) => x === id).length > 1) problems.push(`ATLASLENS_SITES_FILE lists site id "${id}" twice`)
  }
  return sites
}

function buildSite (input: SiteInput, where: string, problems: string[]): SiteConfig | null {
  const before = problems.length
  if (input.site !== null && !/^[a-z0-9][a-z0-9.-]*[a-z0-9](:\d+)?$/i.test(input.site)) {
    problems.push(`${where}: ATLASLENS_ATLASSIAN_SITE must be a host name such as acme.atlassian.net (no scheme or path)`)
  }
  const needsEmail = input.jiraApiToken !== null || input.confluenceApiToken !== null
  if (needsEmail && input.email === null) {
    problems.push(`${where}: ATLASLENS_ATLASSIAN_EMAIL is required with a Jira or Confluence API token`)
  }
  if ((input.jiraApiToken !== null || input.confluenceApiToken !== null) && input.site === null && input.cloudId === null) {
    problems.push(`${where}: ATLASLENS_ATLASSIAN_SITE (or ATLASLENS_ATLASSIAN_CLOUD_ID) is required with a Jira or Confluence API token`)
  }
  for (const [label, url] of [['ATLASLENS_JIRA_BASE_URL', input.jiraBaseUrl], ['ATLASLENS_CONFLUENCE_BASE_URL', input.confluenceBaseUrl],
    ['ATLASLENS_BITBUCKET_BASE_URL', input.bitbucketBaseUrl], ['ATLASLENS_ADMIN_BASE_URL', input.adminBaseUrl]] as const) {
    if (url !== null && !isHttpUrl(url)) problems.push(`${where}: ${label} must be an http(s) URL`)
  }
  if (problems.length > before) return null
  const gateway = (product: 'jira' | 'confluence'): string | null =>
    input.cloudId !== null ? `https://api.atlassian.com/ex/${product}/${encodeURIComponent(input.cloudId)}` : null
  const siteOrigin = input.site !== null ? `https://${input.site}` : null
  return {
    id: input.id ?? input.site ?? input.bitbucketWorkspace ?? input.orgId ?? 'default',
    site: input.site,
    cloudId: input.cloudId,
    email: input.email,
    jiraApiToken: input.jiraApiToken,
    confluenceApiToken: input.confluenceApiToken,
    bitbucketWorkspace: input.bitbucketWorkspace,
    bitbucketApiToken: input.bitbucketApiToken,
    bitbucketEmail: input.bitbucketEmail,
    orgId: input.orgId,
    orgApiKey: input.orgApiKey,
    baseUrls: {
      jira: trimSlash(input.jiraBaseUrl ?? gateway('jira') ?? siteOrigin),
      confluence: trimSlash(input.confluenceBaseUrl ?? gateway('confluence') ?? siteOrigin),
      bitbucket: trimSlash(input.bitbucketBaseUrl ?? DEFAULT_BITBUCKET_BASE) ?? DEFAULT_BITBUCKET_BASE,
      admin: trimSlash(input.adminBaseUrl ?? DEFAULT_ADMIN_BASE) ?? DEFAULT_ADMIN_BASE
    }
  }
}

function isHttpUrl (value: string): boolean {
  try {
    const u = new URL(value)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}

function trimSlash (value: string | null): string | null {
  return value === null ? null : value.replace(/\/+$/, '')
}

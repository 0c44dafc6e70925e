// Builds (and caches) one read-only client per site × Atlassian API, with the credential that API takes
// (API-NOTES §0), all sharing one rate limiter so that every run against a host shares its budget.
import type { Logger } from 'pino'
import type { SiteConfig } from './connector.js'
import {
  adminTarget, bitbucketTarget, createRateLimiter, createReadOnlyClient, type ClientTarget, type Query, type RateLimiter,
  type RateProfile, type ReadOnlyClient, type RetryOptions
} from './http/index.js'

export const ApiName = Object.freeze({ Jira: 'jira', Confluence: 'confluence', Admin: 'admin', Bitbucket: 'bitbucket' } as const)
export type ApiName = typeof ApiName[keyof typeof ApiName]

/** The body-only view some connectors take (org admin, directory). */
export interface JsonApi {
  get: <T = unknown>(path: string, query?: Record<string, unknown>, options?: { signal?: AbortSignal }) => Promise<T>
}

export interface ClientFactoryOptions {
  logger: Logger
  /** Overrides of the named rate profiles (tests and benchmarks against the simulator lift them). */
  rateProfiles?: Record<string, Partial<RateProfile>>
  retry?: Partial<RetryOptions>
  limiter?: RateLimiter
}

export interface ClientFactory {
  /** The read-only client for one API of a site; throws when the site lacks that API's credentials. */
  client: (site: SiteConfig, api: ApiName) => ReadOnlyClient
  /** Body-only adapter; org `/events` paths take the stricter `adminEvents` rate profile. */
  json: (site: SiteConfig, api: ApiName) => JsonApi
  limiter: RateLimiter
  close: () => Promise<void>
}

const PROFILE: Record<ApiName, string> = { jira: 'jira', confluence: 'confluence', admin: 'admin', bitbucket: 'bitbucket' }

/** Where and how to call one API of a site, or null when the site is not configured for it. */
export function targetFor (site: SiteConfig, api: ApiName): ClientTarget | null {
  switch (api) {
    case ApiName.Jira:
      if (site.baseUrls.jira === null || site.jiraApiToken === null || site.email === null) return null
      return { baseUrl: site.baseUrls.jira, auth: { kind: 'basic', email: site.email, token: site.jiraApiToken } }
    case ApiName.Confluence: {
      // A classic API token works for both products; a separate Confluence token wins when given.
      const token = site.confluenceApiToken ?? site.jiraApiToken
      if (site.baseUrls.confluence === null || token === null || site.email === null) return null
      return { baseUrl: site.baseUrls.confluence, auth: { kind: 'basic', email: site.email, token } }
    }
    case ApiName.Admin:
      if (site.orgApiKey === null) return null
      return adminTarget(site.orgApiKey, site.baseUrls.admin)
    case ApiName.Bitbucket:
      if (site.bitbucketApiToken === null) return null
      return bitbucketTarget(site.bitbucketApiToken, site.bitbucketEmail, site.baseUrls.bitbucket)
  }
}

export function createClientFactory (options: ClientFactoryOptions): ClientFactory {
  const limiter = options.limiter ?? createRateLimiter({ profiles: options.rateProfiles ?? {} })
  const clients = new Map<string, ReadOnlyClient>()

  function client (site: SiteConfig, api: ApiName): ReadOnlyClient {
    const key = `${site.id}\u0000${api}`
    const cached = clients.get(key)
    if (cached !== undefined) return cached
    const target = targetFor(site, api)
    if (target === null) throw new Error(`Site ${site.id} has no credentials for the ${api} API`)
    const created = createReadOnlyClient({
      baseUrl: target.baseUrl,
      auth: target.auth,
      logger: options.logger,
      limiter,
      rateProfile: PROFILE[api],
      ...(options.retry !== undefined ? { retry: options.retry } : {})
    })
    clients.set(key, created)
    return created
  }

  function json (site: SiteConfig, api: ApiName): JsonApi {
    return {
      get: async <T>(path: string, query?: Record<string, unknown>, opts: { signal?: AbortSignal } = {}): Promise<T> => {
        const c = client(site, api)
        const rateProfile = api === ApiName.Admin && /\/events(-stream)?(\/|$|\?)/.test(path) ? 'adminEvents' : PROFILE[api]
        const res = await c.get<T>(path, query as Query | undefined, { ...opts, rateProfile })
        return res.body
      }
    }
  }

  async function close (): Promise<void> {
    const all = [...clients.values()]
    clients.clear()
    await Promise.allSettled(all.map(async (c) => { await c.close() }))
  }

  return { client, json, limiter, close }
}

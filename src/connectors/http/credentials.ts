// Credential kinds and base URLs per Atlassian API (API-NOTES §0). Helpers build what the client needs; no I/O.
import { InvalidClientOptionsError } from './errors.js'

export const CredentialKind = Object.freeze({ Basic: 'basic', Bearer: 'bearer' } as const)
export type CredentialKind = typeof CredentialKind[keyof typeof CredentialKind]

export type Credentials =
  | { kind: 'basic', email: string, token: string }
  | { kind: 'bearer', token: string }

export const ATLASSIAN_GATEWAY_ORIGIN = 'https://api.atlassian.com'
export const ADMIN_BASE_URL = 'https://api.atlassian.com/admin'
export const BITBUCKET_BASE_URL = 'https://api.bitbucket.org/2.0'

/** The Authorization header value. Kept out of every log and error. */
export function authorizationHeader (credentials: Credentials): string {
  if (credentials.kind === 'basic') {
    return 'Basic ' + Buffer.from(`${credentials.email}:${credentials.token}`, 'utf8').toString('base64')
  }
  return 'Bearer ' + credentials.token
}

/** Every string derived from the credentials that must never appear in logs or error summaries. */
export function secretStrings (credentials: Credentials): string[] {
  const header = authorizationHeader(credentials)
  const secrets = [credentials.token, header, header.slice(header.indexOf(' ') + 1)]
  if (credentials.kind === 'basic') secrets.push(credentials.email)
  return secrets.filter((s) => s.length >= 4)
}

export function validateCredentials (credentials: Credentials): void {
  if (credentials === null || typeof credentials !== 'object') throw new InvalidClientOptionsError('auth is required')
  if (credentials.kind === 'basic') {
    if (!credentials.email || !credentials.token) throw new InvalidClientOptionsError('basic auth needs an email and a token')
    if (credentials.email.includes(':')) throw new InvalidClientOptionsError('basic auth email must not contain ":"')
  } else if (credentials.kind === 'bearer') {
    if (!credentials.token) throw new InvalidClientOptionsError('bearer auth needs a token')
  } else {
    throw new InvalidClientOptionsError('unknown credential kind')
  }
  if (/[\r\n]/.test(credentials.token)) throw new InvalidClientOptionsError('token must be a single line')
}

export interface ClientTarget { baseUrl: string, auth: Credentials }

/** Jira or Confluence with a classic (unscoped) API token: Basic email:token on the site origin. */
export function siteTarget (site: string, email: string, token: string): ClientTarget {
  const origin = /^https?:\/\//i.test(site) ? new URL(site).origin : `https://${site.replace(/\/+$/, '')}`
  return { baseUrl: origin, auth: { kind: 'basic', email, token } }
}

/** Jira or Confluence with a scoped API token (Basic) or OAuth access token (Bearer): the api.atlassian.com gateway. */
export function gatewayTarget (
  product: 'jira' | 'confluence',
  cloudId: string,
  auth: Credentials,
  gatewayOrigin: string = ATLASSIAN_GATEWAY_ORIGIN
): ClientTarget {
  if (!/^[A-Za-z0-9-]+$/.test(cloudId)) throw new InvalidClientOptionsError('cloudId must be a UUID-like identifier')
  return { baseUrl: `${gatewayOrigin.replace(/\/+$/, '')}/ex/${product}/${cloudId}`, auth }
}

/** Organization admin API: the org API key is used as a Bearer token; paths are relative to /admin. */
export function adminTarget (orgApiKey: string, baseUrl: string = ADMIN_BASE_URL): ClientTarget {
  return { baseUrl, auth: { kind: 'bearer', token: orgApiKey } }
}

/** Bitbucket: an Atlassian API token with its account email (Basic), or an access token (Bearer). Paths are relative to /2.0. */
export function bitbucketTarget (token: string, email: string | null, baseUrl: string = BITBUCKET_BASE_URL): ClientTarget {
  return { baseUrl, auth: email ? { kind: 'basic', email, token } : { kind: 'bearer', token } }
}

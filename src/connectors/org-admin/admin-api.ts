// What the org-admin and directory connectors need from the read-only client (structural, so a test double fits),
// plus the Guard wording shared by the connectors page and the outcome reasons.
import type { SiteConfig } from '../connector.js'

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>
export type Query = Record<string, QueryValue>

export interface JsonApi {
  /** GET a JSON document; `path` is relative to the API base, or an absolute next link inside it. */
  get: <T = unknown>(path: string, query?: Query, options?: { signal?: AbortSignal }) => Promise<T>
}

export interface AdminConnectorDeps {
  /** Builds (or returns a cached) read-only client for the site's admin base URL (which ends in /admin) with the org API key. */
  clientFor: (site: SiteConfig) => JsonApi
  /** Page size to ask for (events-stream documents 200 as its default). */
  pageSize?: number
}

export const REQUIRES_GUARD = 'requires Atlassian Guard'

/** HTTP status carried by a client error (coded errors expose statusCode or details.status), or null. */
export function httpStatusOf (err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null
  const e = err as { details?: { status?: unknown }, statusCode?: unknown, status?: unknown }
  if (typeof e.details?.status === 'number') return e.details.status
  if (typeof e.status === 'number') return e.status
  // Client errors carry statusCode 502 (an upstream failure), which says nothing about Atlassian's status.
  return null
}

/** 401, 403 and 404 from the org API: the documented "no Guard" answers (API-NOTES §3d). */
export function isGuardDenial (status: number | null): boolean {
  return status === 401 || status === 403 || status === 404
}

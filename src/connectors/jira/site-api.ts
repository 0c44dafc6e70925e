// What the Jira and Confluence connectors need from the read-only HTTP client, plus small shared helpers.
import type { SiteConfig } from '../connector.js'
import type { ReadOnlyClient } from '../http/read-only-client.js'
import { SyncCancelledError } from './errors.js'

/** The two calls the Jira and Confluence connectors make; the real read-only client fits, and so does a test double. */
export type SiteApi = Pick<ReadOnlyClient, 'get' | 'postSearch'>

export type ApiKind = 'jira' | 'confluence'

export interface AtlassianConnectorDeps {
  /** Builds (or returns a cached) read-only client for the site's Jira or Confluence origin. */
  clientFor: (site: SiteConfig, api: ApiKind) => SiteApi
}

export const RETENTION_MS = 365 * 24 * 60 * 60 * 1000
export const MINUTE_MS = 60_000
export const DAY_MS = 24 * 60 * MINUTE_MS

/**
 * The Atlassian HTTP status behind a client error, or null. The client's coded errors carry it in
 * `details.status` (their own statusCode is what AtlasLens would answer, e.g. 502, not what Atlassian said).
 */
export function httpStatusOf (err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null
  const details = (err as { details?: { status?: unknown } }).details
  if (typeof details === 'object' && details !== null && typeof details.status === 'number') return details.status
  const status = (err as { status?: unknown }).status
  return typeof status === 'number' ? status : null
}

export function throwIfAborted (signal: AbortSignal): void {
  if (signal.aborted) {
    const reason: unknown = signal.reason
    throw reason instanceof Error ? reason : new SyncCancelledError('this source')
  }
}

/** Public host used in deep links: the configured site, never the API base (which may be a gateway or the simulator). */
export function siteHost (site: SiteConfig): string {
  return site.site ?? site.id
}

export function parseTime (value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value !== 'string' || value === '') return null
  // Jira writes offsets as +0000; Date.parse wants +00:00.
  const normalised = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')
  const ms = Date.parse(normalised)
  return Number.isNaN(ms) ? null : ms
}

const EMAIL = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[a-z]{2,}/gi

/** Emails only ever reach the encrypted identities collection; strip them from free text we keep. */
export function redactEmails (text: string): string {
  return text.replace(EMAIL, '[email]')
}

export function shortText (value: unknown, max = 200): string | null {
  if (value === null || value === undefined) return null
  const text = redactEmails(String(value))
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** A snake_case verb from free text, e.g. "User added to group" → user_added_to_group. */
export function toVerb (text: string): string {
  const verb = text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60)
  return verb === '' ? 'unknown' : verb
}

export function asString (value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return null
}

export function asRecord (value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

export function asArray (value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

export function formatWindow (from: number, to: number): string {
  const f = (ms: number): string => new Date(ms).toISOString().slice(0, 16) + 'Z'
  return `${f(from)} → ${f(to)}`
}

function retryableStatus (err: unknown): boolean {
  const details = (err as { details?: { retryable?: unknown, status?: unknown } } | null)?.details
  // The client already retried 429/502/503/504 with back-off; a plain 500 it leaves to us.
  return details?.retryable === true && details.status === 500
}

/**
 * One read that failed with a transient 500 is asked again (twice, briefly) before the run gives up:
 * a long backfill should not restart from its checkpoint for one hiccup. Reads only, so repeating is safe.
 */
export function withTransientRetry (api: SiteApi, attempts = 3, delayMs = 100): SiteApi {
  async function again<T> (call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (err) {
        if (attempt >= attempts || !retryableStatus(err) || signal?.aborted === true) throw err
        await new Promise((resolve) => setTimeout(resolve, delayMs * attempt))
      }
    }
  }
  return {
    get: async (path, query, options) => await again(async () => await api.get(path, query, options), options?.signal),
    postSearch: async (path, body, options) => await again(async () => await api.postSearch(path, body, options), options?.signal)
  }
}

/** Maps with at most `limit` calls in flight, keeping input order (per-item reads within one page). */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

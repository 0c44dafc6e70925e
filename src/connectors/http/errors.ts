// Coded errors of the read-only Atlassian client. Messages carry host and path only, never secrets or bodies.
import createError from '@fastify/error'

/** What a connector may inspect on any client error (all optional: not every failure has a status). */
export interface HttpErrorDetails {
  method: 'GET' | 'POST'
  host: string
  /** URL path only: query strings may carry tokens or emails. */
  path: string
  status?: number
  /** Short, secret-scrubbed summary of the Atlassian error body (errorMessages, errors[].title, message ...). */
  summary?: string
  /** Attempts made, including the first one. */
  attempts?: number
  /** Whether the scheduler may retry the whole operation later. */
  retryable: boolean
  /** Retry-After the server asked for, when the client gave up (or the wait exceeded maxRetryAfterMs). */
  retryAfterMs?: number
}

// 502: these are upstream failures; a 401 from Atlassian must never look like an AtlasLens auth failure.
export const AtlassianAuthError = createError('ATL_HTTP_AUTH', 'Atlassian rejected the credentials (HTTP 401) for %s %s', 502)
export const AtlassianForbiddenError = createError('ATL_HTTP_FORBIDDEN', 'Atlassian denied access (HTTP 403) to %s %s', 502)
export const AtlassianNotFoundError = createError('ATL_HTTP_NOT_FOUND', 'Atlassian returned HTTP 404 for %s %s', 502)
export const AtlassianClientError = createError('ATL_HTTP_CLIENT_ERROR', 'Atlassian returned HTTP %s for %s %s', 502)
export const AtlassianRateLimitedError = createError('ATL_HTTP_RATE_LIMITED', 'Atlassian rate limit exceeded for %s %s', 503)
export const AtlassianServerError = createError('ATL_HTTP_SERVER_ERROR', 'Atlassian returned HTTP %s for %s %s', 502)
export const AtlassianUnexpectedStatusError = createError('ATL_HTTP_UNEXPECTED_STATUS', 'Atlassian returned unexpected HTTP %s for %s %s', 502)
export const AtlassianNetworkError = createError('ATL_HTTP_NETWORK', 'Request to %s %s failed: %s', 502)
export const AtlassianTimeoutError = createError('ATL_HTTP_TIMEOUT', 'Request to %s %s timed out (%s)', 504)
export const AtlassianInvalidJsonError = createError('ATL_HTTP_INVALID_JSON', 'Atlassian returned a body that is not valid JSON for %s %s', 502)
export const ResponseTooLargeError = createError('ATL_HTTP_RESPONSE_TOO_LARGE', 'Response from %s %s exceeds the %s-byte limit', 502)
export const RequestAbortedError = createError('ATL_HTTP_ABORTED', 'Request to %s %s was cancelled', 500)
export const WriteForbiddenError = createError('ATL_HTTP_WRITE_FORBIDDEN', 'The read-only client refuses %s %s: only allow-listed read-only searches may use POST', 500)
export const InvalidPathError = createError('ATL_HTTP_INVALID_PATH', 'The read-only client refuses path %s: %s', 500)
export const CrossOriginError = createError('ATL_HTTP_CROSS_ORIGIN', 'The read-only client refuses a URL outside its base URL (%s): credentials stay with their host', 500)
export const InvalidClientOptionsError = createError('ATL_HTTP_INVALID_OPTIONS', 'Invalid read-only client options: %s', 500)

export type AtlassianHttpError = Error & { code: string, statusCode?: number, details: HttpErrorDetails }

/** Attaches details to a coded error; returns it typed for throwing. */
export function withDetails (err: Error, details: HttpErrorDetails): AtlassianHttpError {
  return Object.assign(err as Error & { code: string }, { details })
}

/** True for a client error that carries details (connectors branch on `.code` and `.details.status`). */
export function isAtlassianHttpError (err: unknown): err is AtlassianHttpError {
  if (!(err instanceof Error)) return false
  const e = err as Error & { code?: unknown, details?: unknown }
  return typeof e.code === 'string' && e.code.startsWith('ATL_HTTP_') && typeof e.details === 'object' && e.details !== null
}

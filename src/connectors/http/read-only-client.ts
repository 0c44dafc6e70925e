// The read-only Atlassian HTTP client (undici): GET, plus POST only to allow-listed searches. Retries what is safe,
// respects rate limits, bounds time and size, and logs no secrets, query strings or bodies.
import { Agent, request } from 'undici'
import type { Logger } from 'pino'
import { DEFAULT_RETRY, fullJitterDelay, parseRetryAfter, sleep, type RetryOptions } from './backoff.js'
import { authorizationHeader, secretStrings, validateCredentials, type Credentials } from './credentials.js'
import {
  AtlassianAuthError, AtlassianClientError, AtlassianForbiddenError, AtlassianInvalidJsonError, AtlassianNetworkError,
  AtlassianNotFoundError, AtlassianRateLimitedError, AtlassianServerError, AtlassianTimeoutError,
  AtlassianUnexpectedStatusError, InvalidClientOptionsError, RequestAbortedError, ResponseTooLargeError, withDetails,
  type AtlassianHttpError, type HttpErrorDetails
} from './errors.js'
import { assertReadOnlyPost, parseBaseUrl, resolveTarget, type ReadOnlyPostPath } from './read-only-paths.js'
import { createRateLimiter, type RateLimiter } from './rate-limit.js'

export interface Timeouts {
  /** TCP + TLS connect (default 10 s). */
  connectMs: number
  /** Until response headers arrive (default 30 s). */
  headersMs: number
  /** Longest silence between body chunks (default 30 s). */
  bodyMs: number
  /** Whole attempt, headers and body (default 120 s): a slow drip cannot hold a sync forever. */
  requestMs: number
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({ connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000, requestMs: 120_000 })
/** Jira audit pages of 1,000 records stay well below this. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
const ERROR_BODY_BYTES = 64 * 1024

export interface ReadOnlyClientOptions {
  /** Origin or origin + path prefix: a site, `https://api.atlassian.com/ex/jira/{cloudId}`, `.../admin`, `.../2.0`. */
  baseUrl: string
  auth: Credentials
  logger: Logger
  /** Share one limiter between the clients of one organisation so that their buckets are shared. */
  limiter?: RateLimiter
  /** Rate profile for this client's requests (see RateProfiles); a request may override it. Default 'default'. */
  rateProfile?: string
  retry?: Partial<RetryOptions>
  timeouts?: Partial<Timeouts>
  maxResponseBytes?: number
  userAgent?: string
  /** Jitter source, injectable for tests. */
  random?: () => number
}

export interface RequestOptions {
  signal?: AbortSignal
  /** Rate profile for this request, e.g. 'adminEvents' for the org /events path. */
  rateProfile?: string
}

export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>
export type Query = Readonly<Record<string, QueryValue>>

export interface ReadOnlyResponse<T> {
  status: number
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>
  body: T
  /** The URL that was fetched (for resolving relative links); never logged. */
  url: string
}

export interface ReadOnlyClient {
  readonly baseUrl: string
  /** The client's child logger (component atlassian-http); paging logs through it. */
  readonly logger: Logger
  /** GET a path under the base URL (may carry a query) or a same-origin absolute URL from a paging link. */
  get: <T = unknown>(pathOrUrl: string, query?: Query, options?: RequestOptions) => Promise<ReadOnlyResponse<T>>
  /** POST a JSON body to one of READ_ONLY_POST_PATHS; anything else throws ATL_HTTP_WRITE_FORBIDDEN before any I/O. */
  postSearch: <T = unknown>(path: ReadOnlyPostPath, body: Readonly<Record<string, unknown>>, options?: RequestOptions) => Promise<ReadOnlyResponse<T>>
  close: () => Promise<void>
}

type Method = 'GET' | 'POST'

interface AttemptFailure {
  error: AtlassianHttpError
  /** Whether this client may try again (the error's details.retryable is about the scheduler). */
  retry: boolean
  retryAfterMs: number | null
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

export function createReadOnlyClient (options: ReadOnlyClientOptions): ReadOnlyClient {
  validateCredentials(options.auth)
  if (!options.logger) throw new InvalidClientOptionsError('logger is required')
  const base = parseBaseUrl(options.baseUrl)
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry }
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  if (!(retry.maxAttempts >= 1) || !(retry.baseMs >= 0) || !(retry.capMs >= 0)) throw new InvalidClientOptionsError('retry needs maxAttempts >= 1 and non-negative delays')
  if (!(maxBytes > 0)) throw new InvalidClientOptionsError('maxResponseBytes must be positive')
  const limiter = options.limiter ?? createRateLimiter()
  const defaultProfile = options.rateProfile ?? 'default'
  const random = options.random ?? Math.random
  // 4xx other than 429 are answers, not glitches: never retried, whatever the configuration says.
  const retryStatuses = new Set(retry.retryStatuses.filter((s) => s === 429 || s >= 500))
  const secrets = secretStrings(options.auth).sort((a, b) => b.length - a.length) // longest first: whole header before token
  const log = options.logger.child({ component: 'atlassian-http' })
  if (base.url.protocol === 'http:' && !/^(localhost|127(\.\d+){3}|\[::1\])$/.test(base.url.hostname)) {
    log.warn({ host: base.url.host }, 'credentials will be sent over plain HTTP (only for a local simulator)')
  }
  const agent = new Agent({
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs
  })
  const headers: Record<string, string> = {
    authorization: authorizationHeader(options.auth),
    accept: 'application/json',
    'accept-encoding': 'identity', // the size limit counts the bytes that are parsed
    'user-agent': options.userAgent ?? 'AtlasLens (read-only)'
  }

  function scrub (text: string): string {
    let out = text
    for (const s of secrets) out = out.split(s).join('[redacted]')
    // Error bodies may name people by email (never logged or kept: house rule).
    return out.replace(/[^\s@"'<>()[\]{},;:]+@[^\s@"'<>()[\]{},;:]+\.[A-Za-z]{2,}/g, '[email]')
  }

  async function attempt (method: Method, url: URL, body: string | undefined, userSignal: AbortSignal | undefined, ctx: { host: string, path: string }): Promise<ReadOnlyResponse<unknown> | AttemptFailure> {
    const fail = (error: Error, extra: Partial<HttpErrorDetails>, retryHere: boolean, retryAfterMs: number | null = null): AttemptFailure => ({
      error: withDetails(error, { method, ...ctx, retryable: retryHere, ...extra }),
      retry: retryHere,
      retryAfterMs
    })
    // Own timers: undici's headersTimeout is skipped on some fresh connections; these always fire.
    const ac = new AbortController()
    let timedOut: string | null = null
    const arm = (what: string, ms: number): NodeJS.Timeout => setTimeout(() => { timedOut = what; ac.abort() }, ms)
    let phaseTimer = arm(`no response headers within ${timeouts.headersMs} ms`, timeouts.headersMs)
    const totalTimer = arm(`attempt exceeded ${timeouts.requestMs} ms`, timeouts.requestMs)
    const onUserAbort = (): void => ac.abort(userSignal?.reason)
    userSignal?.addEventListener('abort', onUserAbort, { once: true })
    let status: number | undefined
    try {
      const res = await request(url, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body,
        dispatcher: agent,
        signal: ac.signal
      })
      // A body destroyed early (size limit, abort) emits an error nobody else listens for.
      res.body.on('error', () => {})
      status = res.statusCode
      const resHeaders = flattenHeaders(res.headers)
      const ok = status >= 200 && status < 300
      const limit = ok ? maxBytes : Math.min(maxBytes, ERROR_BODY_BYTES)
      const declared = Number(resHeaders['content-length'])
      if (ok && Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy()
        return fail(new ResponseTooLargeError(ctx.host, ctx.path, maxBytes), { status }, false)
      }
      const onChunk = (): void => {
        clearTimeout(phaseTimer)
        phaseTimer = arm(`body stalled for ${timeouts.bodyMs} ms`, timeouts.bodyMs)
      }
      onChunk()
      const read = await readCapped(res.body, limit, onChunk)
      if (ok) {
        if (read.truncated) return fail(new ResponseTooLargeError(ctx.host, ctx.path, maxBytes), { status }, false)
        const text = read.buffer.toString('utf8')
        if (text.trim() === '') return { status, headers: resHeaders, body: null, url: url.href }
        try {
          return { status, headers: resHeaders, body: JSON.parse(text) as unknown, url: url.href }
        } catch {
          // A flaky server or proxy truncating a page is transient: try again.
          return fail(new AtlassianInvalidJsonError(ctx.host, ctx.path), { status }, true)
        }
      }
      const summary = summarizeErrorBody(scrub(read.buffer.toString('utf8')))
      const extra = { status, ...(summary ? { summary } : {}) }
      if (status === 429 || status >= 500) {
        // Retry-After on 429 and 503 (Jira: also on transient 503s); Jira's 429 may give X-RateLimit-Reset instead.
        const wait = status === 429 || status === 503 ? parseRetryAfter(resHeaders['retry-after'], status === 429 ? resHeaders['x-ratelimit-reset'] : undefined) : null
        const err = status === 429 ? new AtlassianRateLimitedError(ctx.host, ctx.path) : new AtlassianServerError(status, ctx.host, ctx.path)
        const retryHere = retryStatuses.has(status)
        return fail(err, { ...extra, retryable: true, ...(wait !== null ? { retryAfterMs: wait } : {}) }, retryHere, retryHere ? wait : null)
      }
      if (status === 401) return fail(new AtlassianAuthError(ctx.host, ctx.path), extra, false)
      if (status === 403) return fail(new AtlassianForbiddenError(ctx.host, ctx.path), extra, false)
      if (status === 404) return fail(new AtlassianNotFoundError(ctx.host, ctx.path), extra, false)
      if (status >= 400) return fail(new AtlassianClientError(status, ctx.host, ctx.path), extra, false)
      // Redirects are not followed: a Location could point credentials at another host.
      return fail(new AtlassianUnexpectedStatusError(status, ctx.host, ctx.path), extra, false)
    } catch (err) {
      if (userSignal?.aborted) return fail(new RequestAbortedError(ctx.host, ctx.path, { cause: userSignal.reason }), {}, false)
      const code = (err as { code?: string }).code
      if (timedOut !== null) return fail(new AtlassianTimeoutError(ctx.host, ctx.path, timedOut), status !== undefined ? { status } : {}, true)
      if (code !== undefined && TIMEOUT_CODES.has(code)) return fail(new AtlassianTimeoutError(ctx.host, ctx.path, code), {}, true)
      const reason = code ?? (err instanceof Error ? err.name : 'unknown error')
      return fail(new AtlassianNetworkError(ctx.host, ctx.path, reason), status !== undefined ? { status } : {}, true)
    } finally {
      clearTimeout(phaseTimer)
      clearTimeout(totalTimer)
      userSignal?.removeEventListener('abort', onUserAbort)
    }
  }

  async function execute<T> (method: Method, url: URL, body: string | undefined, opts: RequestOptions = {}): Promise<ReadOnlyResponse<T>> {
    const ctx = { host: url.host, path: url.pathname }
    const profile = opts.rateProfile ?? defaultProfile
    const started = performance.now()
    const aborted = (): Error => withDetails(new RequestAbortedError(ctx.host, ctx.path, { cause: opts.signal?.reason }), { method, ...ctx, retryable: false })
    for (let attemptNo = 1; ; attemptNo++) {
      if (opts.signal?.aborted) throw aborted()
      let release: () => void
      try {
        release = await limiter.acquire(ctx.host, profile, opts.signal)
      } catch {
        throw aborted()
      }
      let outcome: ReadOnlyResponse<unknown> | AttemptFailure
      try {
        outcome = await attempt(method, url, body, opts.signal, ctx)
      } finally {
        release()
      }
      const durationMs = Math.round(performance.now() - started)
      if (!('error' in outcome)) {
        log.debug({ method, ...ctx, status: outcome.status, durationMs, retries: attemptNo - 1 }, 'atlassian request')
        return outcome as ReadOnlyResponse<T>
      }
      const { error, retryAfterMs } = outcome
      error.details.attempts = attemptNo
      const status = error.details.status
      const tooLong = retryAfterMs !== null && retryAfterMs > retry.maxRetryAfterMs
      if (!outcome.retry || attemptNo >= retry.maxAttempts || tooLong) {
        if (outcome.retry) {
          error.details.retryable = true // for the scheduler: try the run again later
        }
        log.warn({ method, ...ctx, status, code: error.code, durationMs, retries: attemptNo - 1 }, 'atlassian request failed')
        throw error
      }
      const delayMs = retryAfterMs ?? fullJitterDelay(attemptNo - 1, retry.baseMs, retry.capMs, random)
      // Everyone queued on this bucket waits too: retrying early "will fail and return the same or longer Retry-After".
      if (retryAfterMs !== null) limiter.pause(ctx.host, profile, retryAfterMs)
      log.info({ method, ...ctx, status, code: error.code, durationMs, retries: attemptNo - 1, delayMs }, 'atlassian request retrying')
      try {
        await sleep(delayMs, opts.signal)
      } catch {
        throw aborted()
      }
    }
  }

  return Object.freeze({
    baseUrl: base.url.href,
    logger: log,
    get <T = unknown>(pathOrUrl: string, query?: Query, opts?: RequestOptions): Promise<ReadOnlyResponse<T>> {
      try {
        const url = resolveTarget(base, pathOrUrl)
        appendQuery(url, query)
        return execute<T>('GET', url, undefined, opts)
      } catch (err) {
        return Promise.reject(err)
      }
    },
    postSearch <T = unknown>(path: ReadOnlyPostPath, body: Readonly<Record<string, unknown>>, opts?: RequestOptions): Promise<ReadOnlyResponse<T>> {
      try {
        assertReadOnlyPost(path)
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidClientOptionsError('postSearch body must be a JSON object')
        const url = resolveTarget(base, path)
        return execute<T>('POST', url, JSON.stringify(body), opts)
      } catch (err) {
        return Promise.reject(err)
      }
    },
    close: () => agent.close()
  })
}

function appendQuery (url: URL, query: Query | undefined): void {
  if (!query) return
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) {
      for (const v of value as ReadonlyArray<string | number | boolean>) url.searchParams.append(key, String(v))
    } else {
      url.searchParams.append(key, String(value))
    }
  }
}

function flattenHeaders (raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

async function readCapped (body: AsyncIterable<Buffer>, limit: number, onChunk: () => void): Promise<{ buffer: Buffer, truncated: boolean }> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of body) {
    onChunk()
    total += chunk.length
    if (total > limit) {
      chunks.push(chunk.subarray(0, chunk.length - (total - limit)))
      return { buffer: Buffer.concat(chunks), truncated: true } // leaving the loop destroys the stream: stop downloading
    }
    chunks.push(chunk)
  }
  return { buffer: Buffer.concat(chunks), truncated: false }
}

/** One line from the error shapes of Jira, Confluence, Bitbucket, the admin API and the gateway. */
export function summarizeErrorBody (text: string): string | undefined {
  if (text.trim() === '') return undefined
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch { return undefined }
  const parts: string[] = []
  const add = (v: unknown): void => { if (typeof v === 'string' && v.trim() !== '') parts.push(v.trim()) }
  if (parsed !== null && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>
    if (Array.isArray(o.errorMessages)) o.errorMessages.forEach(add) // Jira ErrorCollection
    if (o.errors && typeof o.errors === 'object' && !Array.isArray(o.errors)) {
      for (const [field, msg] of Object.entries(o.errors as Record<string, unknown>)) if (typeof msg === 'string') add(`${field}: ${msg}`)
    }
    if (Array.isArray(o.errors)) { // admin API {errors:[{code,title,detail}]}
      for (const e of o.errors as Array<Record<string, unknown>>) {
        if (e && typeof e === 'object') add([e.code, e.title, e.detail].filter((x) => typeof x === 'string').join(' '))
      }
    }
    if (o.error && typeof o.error === 'object') { // Bitbucket {type:'error', error:{message, detail}}
      const e = o.error as Record<string, unknown>
      add(e.message); add(e.detail)
    } else {
      add(o.error)
    }
    add(o.message) // Confluence and the api.atlassian.com gateway
  }
  if (parts.length === 0) return undefined
  const joined = parts.join('; ').replace(/\s+/g, ' ')
  return joined.length > 300 ? joined.slice(0, 300) + '…' : joined
}

// Retry timing: exponential back-off with full jitter, Retry-After parsing, and sleeps that a cancel interrupts.

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  maxAttempts: number
  /** Back-off base in ms: attempt n waits random(0, min(cap, base * 2^n)) (default 500). */
  baseMs: number
  /** Back-off cap in ms (default 30 000). */
  capMs: number
  /** A Retry-After longer than this is not slept through: the client fails with a retryable error (default 300 000). */
  maxRetryAfterMs: number
  /** HTTP statuses retried by the client. All requests are idempotent reads, so a transient 500 is retried too. */
  retryStatuses: readonly number[]
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseMs: 500,
  capMs: 30_000,
  maxRetryAfterMs: 300_000,
  retryStatuses: Object.freeze([429, 500, 502, 503, 504])
})

/** Full jitter (AWS architecture blog): spreads retries of many clients instead of synchronising them. */
export function fullJitterDelay (retryIndex: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retryIndex, 30))
  return Math.floor(random() * ceiling)
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Jira may instead give
 * X-RateLimit-Reset as ISO 8601 (API-NOTES §9), accepted as a fallback. Returns null when absent or unparseable.
 */
export function parseRetryAfter (retryAfter: string | undefined, rateLimitReset?: string, now: number = Date.now()): number | null {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const value = retryAfter.trim()
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000)
    // An HTTP date names a month; Date.parse alone would read "-3" as a year.
    const date = /[A-Za-z]{3}/.test(value) ? Date.parse(value) : NaN
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  if (rateLimitReset !== undefined && /^\d{4}-\d{2}-\d{2}T/.test(rateLimitReset.trim())) {
    const date = Date.parse(rateLimitReset.trim())
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  return null
}

/** Resolves after ms, or rejects with the signal's reason as soon as the signal aborts. */
export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, Math.max(0, ms))
    function onAbort (): void {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

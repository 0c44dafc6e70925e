// Deterministic fault injection. A decision depends only on (seed, request key, attempt number for that key),
// so the same request sequence gets the same faults, and a retried request always ends up with the right page.
import { hash32, hashString, hashUnit } from './prng.js'

export interface FaultConfig {
  /** Probability that a request's first attempt gets 429 + Retry-After. */
  rateLimit: number
  /** Share of 429/503 Retry-After values sent as an HTTP-date instead of seconds. */
  retryAfterHttpDate: number
  /** Retry-After seconds sent with 429 (and with 503 when present). */
  retryAfterSeconds: number
  /** Probability of a 5xx burst starting on a request's first attempt. */
  serverError: number
  /** Longest burst: that many consecutive attempts of the same request fail. */
  burstMax: number
  /** Probability and range (ms) of a slow response. */
  slow: number
  slowMs: readonly [number, number]
  /** Probability of a 200 whose JSON body is cut short. */
  truncated: number
  /** Probability that a cursor-paged response repeats the request's own cursor as its next cursor. */
  repeatCursor: number
  /** Share of records (fixed per record) with optional fields missing or unexpected extra fields. */
  recordQuirks: number
  /** The n-th authenticated request gets a 401 "expired token" once; null = never. */
  expiredTokenAt: number | null
}

export type FaultsOption = 'none' | 'default' | 'heavy' | Partial<FaultConfig>

export const NO_FAULTS: FaultConfig = Object.freeze({
  rateLimit: 0, retryAfterHttpDate: 0, retryAfterSeconds: 1, serverError: 0, burstMax: 1, slow: 0, slowMs: [0, 0] as const, truncated: 0, repeatCursor: 0, recordQuirks: 0, expiredTokenAt: null
})

export function resolveFaults (opt: FaultsOption | undefined, seed: number): FaultConfig {
  if (opt === undefined || opt === 'none') return NO_FAULTS
  if (opt === 'default') {
    // Light: a small sync (~500 requests) sees a couple of 429s and 5xx, so it finishes in seconds.
    return { rateLimit: 0.005, retryAfterHttpDate: 0.2, retryAfterSeconds: 1, serverError: 0.005, burstMax: 2, slow: 0.02, slowMs: [20, 100], truncated: 0.004, repeatCursor: 0.02, recordQuirks: 0.05, expiredTokenAt: null }
  }
  if (opt === 'heavy') {
    return { rateLimit: 0.06, retryAfterHttpDate: 0.3, retryAfterSeconds: 1, serverError: 0.05, burstMax: 3, slow: 0.1, slowMs: [100, 600], truncated: 0.03, repeatCursor: 0.1, recordQuirks: 0.2, expiredTokenAt: 10 + (seed % 20) }
  }
  return { ...NO_FAULTS, ...opt }
}

export const FaultKind = Object.freeze({
  RateLimit: 'rate-limit',
  ServerError: 'server-error',
  Slow: 'slow',
  Truncated: 'truncated-json',
  RepeatCursor: 'repeat-cursor',
  ExpiredToken: 'expired-token',
  RecordQuirk: 'record-quirk'
} as const)
export type FaultKind = typeof FaultKind[keyof typeof FaultKind]

export interface FaultDecision {
  status: 429 | 500 | 502 | 503 | null
  retryAfter: string | null
  slowMs: number
  truncate: boolean
  repeatCursor: boolean
}

const MAX_TRACKED_KEYS = 200_000

export interface FaultEngine {
  config: FaultConfig
  /** Decides the faults of one request. `key` identifies it (method + URL + body). */
  decide: (key: string) => FaultDecision
  /** True exactly once, on the configured authenticated request. */
  expireTokenNow: () => boolean
  /** Whether record `id` of `kind` is a quirky one (missing optional or extra fields). */
  quirk: (kind: number, id: number) => 0 | 1 | 2
  count: (kind: FaultKind) => void
  counts: Record<string, number>
}

export function createFaultEngine (config: FaultConfig, seed: number, realNow: () => number): FaultEngine {
  const attempts = new Map<string, number>()
  const counts: Record<string, number> = {}
  let authenticated = 0
  let expired = false
  const count = (kind: FaultKind): void => { counts[kind] = (counts[kind] ?? 0) + 1 }
  const retryAfter = (h: number): string => {
    if (hashUnit(h, 7) < config.retryAfterHttpDate) {
      // HTTP-date has second resolution: round up so the client never retries early.
      return new Date(Math.ceil((realNow() + config.retryAfterSeconds * 1000) / 1000) * 1000).toUTCString()
    }
    return String(config.retryAfterSeconds)
  }
  return {
    config,
    counts,
    count,
    decide (key) {
      if (attempts.size > MAX_TRACKED_KEYS) attempts.clear()
      const attempt = (attempts.get(key) ?? 0) + 1
      attempts.set(key, attempt)
      const h = hash32(seed, hashString(key))
      const d: FaultDecision = { status: null, retryAfter: null, slowMs: 0, truncate: false, repeatCursor: false }
      if (hashUnit(h, attempt, 1) < config.slow) {
        const [a, b] = config.slowMs
        d.slowMs = Math.round(a + hashUnit(h, attempt, 2) * (b - a))
      }
      // A 5xx burst covers attempts 1..L of this request; everything else only hits the first clean attempt.
      const burstLen = 1 + (hash32(h, 3) % Math.max(1, config.burstMax))
      const burst = hashUnit(h, 4) < config.serverError
      if (burst && attempt <= burstLen) {
        const pick = hash32(h, attempt, 5) % 4
        d.status = pick === 0 ? 500 : pick === 1 ? 502 : 503
        if (d.status === 503 && hashUnit(h, attempt, 6) < 0.5) d.retryAfter = retryAfter(h)
        return d
      }
      const first = attempt === (burst ? burstLen + 1 : 1)
      if (!first) return d
      const u = hashUnit(h, 8)
      if (u < config.rateLimit) {
        d.status = 429
        d.retryAfter = retryAfter(h)
      } else if (u < config.rateLimit + config.truncated) {
        d.truncate = true
      } else if (u < config.rateLimit + config.truncated + config.repeatCursor) {
        d.repeatCursor = true
      }
      return d
    },
    expireTokenNow () {
      if (config.expiredTokenAt === null || expired) return false
      authenticated++
      if (authenticated >= config.expiredTokenAt) { expired = true; return true }
      return false
    },
    quirk (kind, id) {
      if (config.recordQuirks <= 0) return 0
      if (hashUnit(seed, 0x0517, kind, id) >= config.recordQuirks) return 0
      return (hash32(seed, 0x0518, kind, id) % 2) === 0 ? 1 : 2
    }
  }
}

// Per host and profile: a concurrency limit plus a token bucket, shared by every client given the same limiter.
import { InvalidClientOptionsError } from './errors.js'

export interface RateProfile {
  /** Requests in flight at once. */
  concurrency: number
  /** Sustained rate: tokens added per second. */
  ratePerSecond: number
  /** Bucket size: requests that may start back to back after an idle period. */
  burst: number
}

/**
 * Defaults that stay inside the documented limits (API-NOTES §9) for one AtlasLens process:
 * a bucket admits at most burst + ratePerSecond × window requests in any window.
 * - adminEvents: org `/events` allows 10 req/min per user and per path → 1 + 8 = 9 per minute.
 * - bitbucket: 1,000 req/h per user or token on /2.0/repositories → 20 + 970 = 990 per hour.
 * - jira/confluence/admin: limits are unpublished burst limits; 10 req/s with 4 in flight is well below them.
 */
export const RateProfiles = Object.freeze({
  default: Object.freeze({ concurrency: 4, ratePerSecond: 10, burst: 10 }),
  jira: Object.freeze({ concurrency: 4, ratePerSecond: 10, burst: 10 }),
  confluence: Object.freeze({ concurrency: 4, ratePerSecond: 10, burst: 10 }),
  admin: Object.freeze({ concurrency: 2, ratePerSecond: 5, burst: 5 }),
  adminEvents: Object.freeze({ concurrency: 1, ratePerSecond: 8 / 60, burst: 1 }),
  bitbucket: Object.freeze({ concurrency: 2, ratePerSecond: 970 / 3600, burst: 20 })
} as const)
export type RateProfileName = keyof typeof RateProfiles

export interface RateLimiter {
  /** Waits for a free slot and a token on the (host, profile) bucket; resolves to a release function. */
  acquire: (host: string, profile: string, signal?: AbortSignal) => Promise<() => void>
  /** Holds the whole bucket for ms (the server said Retry-After): requests already queued wait too. */
  pause: (host: string, profile: string, ms: number) => void
  /** The effective profile for a name (unknown names use `default`). */
  profile: (profile: string) => Readonly<RateProfile>
}

export interface RateLimiterOptions {
  /** Overrides or additions, merged over RateProfiles by name. */
  profiles?: Record<string, Partial<RateProfile>>
  now?: () => number
}

interface Waiter {
  resolve: (release: () => void) => void
  reject: (reason: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

class Bucket {
  private tokens: number
  private last: number
  private active = 0
  private blockedUntil = 0
  private readonly queue: Waiter[] = []
  private timer: NodeJS.Timeout | null = null

  constructor (private readonly p: Readonly<RateProfile>, private readonly now: () => number) {
    this.tokens = p.burst
    this.last = now()
  }

  acquire (signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason); return }
      const waiter: Waiter = { resolve, reject, signal }
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter)
          if (i >= 0) this.queue.splice(i, 1)
          reject(signal.reason)
          this.pump()
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.queue.push(waiter)
      this.pump()
    })
  }

  pause (ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms)
    this.pump()
  }

  private refill (): void {
    const t = this.now()
    this.tokens = Math.min(this.p.burst, this.tokens + ((t - this.last) / 1000) * this.p.ratePerSecond)
    this.last = t
  }

  private pump (): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null }
    while (this.queue.length > 0) {
      if (this.active >= this.p.concurrency) return // release() pumps again
      this.refill()
      const t = this.now()
      if (t < this.blockedUntil) { this.wake(this.blockedUntil - t); return }
      if (this.tokens < 1) { this.wake(((1 - this.tokens) / this.p.ratePerSecond) * 1000); return }
      const waiter = this.queue.shift() as Waiter
      this.tokens -= 1
      this.active++
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort)
      let released = false
      waiter.resolve(() => {
        if (released) return
        released = true
        this.active--
        this.pump()
      })
    }
  }

  private wake (ms: number): void {
    this.timer = setTimeout(() => { this.timer = null; this.pump() }, Math.max(1, Math.ceil(ms)))
  }
}

export function createRateLimiter (options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now
  const profiles = new Map<string, Readonly<RateProfile>>(Object.entries(RateProfiles))
  for (const [name, override] of Object.entries(options.profiles ?? {})) {
    const merged = { ...(profiles.get(name) ?? RateProfiles.default), ...override }
    if (!(merged.concurrency >= 1) || !(merged.ratePerSecond > 0) || !(merged.burst >= 1)) {
      throw new InvalidClientOptionsError(`rate profile ${name} needs concurrency >= 1, ratePerSecond > 0, burst >= 1`)
    }
    profiles.set(name, Object.freeze(merged))
  }
  const buckets = new Map<string, Bucket>()
  const profileOf = (name: string): Readonly<RateProfile> => profiles.get(name) ?? RateProfiles.default
  const bucket = (host: string, profile: string): Bucket => {
    const key = `${profile}\u0000${host}`
    let b = buckets.get(key)
    if (!b) { b = new Bucket(profileOf(profile), now); buckets.set(key, b) }
    return b
  }
  return {
    acquire: (host, profile, signal) => bucket(host, profile).acquire(signal),
    pause: (host, profile, ms) => bucket(host, profile).pause(ms),
    profile: profileOf
  }
}

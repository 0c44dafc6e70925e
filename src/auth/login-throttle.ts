// Brute-force brakes on sign-in: failures are counted per client IP and per attempted username (existing or not,
// so a 429 says nothing about which usernames exist). Successful sign-ins are not counted.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { usernameKey } from './usernames.js'

export interface LoginLimits {
  perIp: number
  perUsername: number
  windowMs: number
}

/** Few operators sign in a handful of times a day; these leave room for typos and none for guessing. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = Object.freeze({ perIp: 10, perUsername: 5, windowMs: 15 * 60_000 })

export interface LoginThrottle {
  /** Seconds until another attempt is allowed, or null when it is allowed now. */
  blockedFor: (request: FastifyRequest) => Promise<number | null>
  recordFailure: (request: FastifyRequest) => Promise<void>
}

function attemptedUsername (request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | undefined
  return usernameKey(typeof body?.username === 'string' ? body.username : '')
}

export function createLoginThrottle (app: FastifyInstance, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): LoginThrottle {
  // In-memory counters (@fastify/rate-limit's local LRU store): per app instance, reset on restart. The LRU is
  // large so that spraying many usernames cannot cheaply evict the counter of the one under attack.
  // (`cache` reaches the local store through the merged options; the type definitions omit it.)
  const limiter = (max: number, keyGenerator: (req: FastifyRequest) => string) =>
    app.createRateLimit({ max, timeWindow: limits.windowMs, keyGenerator, cache: 100_000 } as Parameters<FastifyInstance['createRateLimit']>[0])
  const limiters = [
    limiter(limits.perIp, (req) => `ip:${req.ip}`),
    limiter(limits.perUsername, (req) => `user:${attemptedUsername(req)}`)
  ]
  return {
    async blockedFor (request) {
      let wait: number | null = null
      for (const limiter of limiters) {
        const state = await limiter(request, { increment: false })
        if (!state.isAllowed && state.remaining <= 0) wait = Math.max(wait ?? 1, state.ttlInSeconds)
      }
      return wait
    },
    async recordFailure (request) {
      for (const limiter of limiters) await limiter(request)
    }
  }
}

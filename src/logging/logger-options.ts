// pino options shared by the server, the CLIs and the tests: structured, redacted, emails scrubbed.
import type { LoggerOptions } from 'pino'

const REDACTED = '[redacted]'

// Paths pino removes before serialising; headers are lowercase in Node.
export const REDACT_PATHS = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-csrf-token"]',
  '*.password',
  '*.token',
  '*.apiToken',
  '*.api_token',
  '*.jwtSecret',
  '*.encryptionKeys',
  '*.orgApiKey',
  '*.secret',
  'password',
  'token',
  'authorization',
  'cookie'
])

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g

/** Replaces anything shaped like an email address; emails never reach the logs. */
export function scrubEmails (value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('@') ? value.replace(EMAIL, '[email]') : value
  if (depth > 6 || value === null || typeof value !== 'object') return value
  if (value instanceof Error) return value
  if (Array.isArray(value)) return value.map((v) => scrubEmails(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scrubEmails(v, depth + 1)
  return out
}

export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: {
      log: (object) => scrubEmails(object) as Record<string, unknown>
    },
    hooks: {
      // Messages are scrubbed too: a message string can carry an email from an upstream error.
      logMethod (args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubEmails(a) : a)) as Parameters<typeof method>
        method.apply(this, scrubbed)
      }
    }
  }
}

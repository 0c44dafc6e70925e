// The one typed, deep-frozen configuration object. Only loadConfig builds it.
import type { SiteConfig } from '../connectors/connector.js'

export const LogLevel = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)
export type LogLevel = typeof LogLevel[number]

/** 365 days: the retention window is a product rule, not a setting. */
export const RETENTION_SECONDS = 31_536_000

export interface Config {
  host: string
  port: number
  /** null = start the embedded store under dataDir. */
  mongodbUri: string | null
  dbName: string
  dataDir: string
  /** Fernet keys; the first encrypts, all decrypt. */
  encryptionKeys: readonly string[]
  jwtSecret: string
  cookieSecure: boolean
  sessionTtlSeconds: number
  logLevel: LogLevel
  /** Honour X-Forwarded-For from a reverse proxy (rate limits and the operator log use the client IP). */
  trustProxy: boolean
  encryptDisplayNames: boolean
  retentionSeconds: number
  schedulerEnabled: boolean
  syncIntervalMinutes: number
  /** TTL monitor period of the embedded store (mongod's default is 60 s). */
  storeTtlIntervalMs: number
  sites: readonly SiteConfig[]
  /** True only for the try-out: secrets were generated and stored under dataDir. */
  throwawaySecrets: boolean
}

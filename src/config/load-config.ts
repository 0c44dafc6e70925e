// Reads every setting once from an environment map into one deep-frozen Config; reports all problems together.
import { resolve } from 'node:path'
import { type Config, LogLevel, RETENTION_SECONDS } from './config.js'
import { ConfigInvalidError } from './errors.js'
import { type Env, nonEmpty, readSecret } from './secret-source.js'
import { loadSites } from './sites.js'

export interface LoadConfigOptions {
  /** Set only by the try-out, which generated the secrets it passes in the env. */
  throwawaySecrets?: boolean
}

const MIN_JWT_SECRET_BYTES = 32

export function loadConfig (env: Env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = []

  const secret = (name: string): string | null => {
    const r = readSecret(env, name)
    if (r.problem !== null) problems.push(r.problem)
    return r.value
  }

  const encryptionKeyList = secret('ATLASLENS_ENCRYPTION_KEY')
  const encryptionKeys = encryptionKeyList === null
    ? []
    : encryptionKeyList.split(',').map((k) => k.trim()).filter((k) => k !== '')
  if (encryptionKeyList === null) {
    problems.push('ATLASLENS_ENCRYPTION_KEY is required (a Fernet key: 32 random bytes, base64url; or ATLASLENS_ENCRYPTION_KEY_FILE)')
  } else if (encryptionKeys.length === 0 || !encryptionKeys.every(isFernetKey)) {
    // Never echo the value: say which position is wrong.
    const bad = encryptionKeys.map((k, i) => (isFernetKey(k) ? -1 : i + 1)).filter((i) => i > 0)
    problems.push(`ATLASLENS_ENCRYPTION_KEY must be a Fernet key or a comma-separated list of them (32 bytes, base64url)${bad.length > 0 ? `; entry ${bad.join(', ')} is not` : ''}`)
  }

  const jwtSecret = secret('ATLASLENS_JWT_SECRET')
  if (jwtSecret === null) {
    problems.push('ATLASLENS_JWT_SECRET is required (at least 32 bytes; or ATLASLENS_JWT_SECRET_FILE)')
  } else if (Buffer.byteLength(jwtSecret, 'utf8') < MIN_JWT_SECRET_BYTES) {
    problems.push(`ATLASLENS_JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes long`)
  }

  const mongodbUri = secret('ATLASLENS_MONGODB_URI')
  if (mongodbUri !== null && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('ATLASLENS_MONGODB_URI must start with mongodb:// or mongodb+srv://')
  }

  const dbName = nonEmpty(env.ATLASLENS_DB_NAME) ?? 'atlaslens'
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(dbName)) {
    problems.push('ATLASLENS_DB_NAME must be 1-63 letters, digits, "_" or "-"')
  }

  const logLevel = (nonEmpty(env.ATLASLENS_LOG_LEVEL) ?? 'info') as LogLevel
  if (!LogLevel.includes(logLevel)) problems.push(`ATLASLENS_LOG_LEVEL must be one of ${LogLevel.join(', ')}`)

  const config: Config = {
    host: nonEmpty(env.ATLASLENS_HOST) ?? '127.0.0.1',
    port: integer(env, 'ATLASLENS_PORT', 3000, 0, 65535, problems),
    mongodbUri,
    dbName,
    dataDir: resolve(nonEmpty(env.ATLASLENS_DATA_DIR) ?? './data'),
    encryptionKeys,
    jwtSecret: jwtSecret ?? '',
    cookieSecure: boolean(env, 'ATLASLENS_COOKIE_SECURE', true, problems),
    sessionTtlSeconds: integer(env, 'ATLASLENS_SESSION_HOURS', 8, 1, 24 * 7, problems) * 3600,
    logLevel,
    trustProxy: boolean(env, 'ATLASLENS_TRUST_PROXY', false, problems),
    encryptDisplayNames: boolean(env, 'ATLASLENS_ENCRYPT_DISPLAY_NAMES', false, problems),
    retentionSeconds: RETENTION_SECONDS,
    schedulerEnabled: boolean(env, 'ATLASLENS_SCHEDULER_ENABLED', true, problems),
    syncIntervalMinutes: integer(env, 'ATLASLENS_SYNC_INTERVAL_MINUTES', 15, 1, 24 * 60, problems),
    storeTtlIntervalMs: integer(env, 'ATLASLENS_STORE_TTL_INTERVAL_MS', 60_000, 100, 24 * 3600_000, problems),
    sites: loadSites(env, problems),
    throwawaySecrets: options.throwawaySecrets === true
  }

  if (problems.length > 0) throw new ConfigInvalidError(problems.join('; '))
  return deepFreeze(config)
}

/** A Fernet key is 32 bytes (signing + encryption halves), base64url-encoded. */
export function isFernetKey (value: string): boolean {
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(value)) return false
  return Buffer.from(value, 'base64url').length === 32
}

function integer (env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = nonEmpty(env[name])
  if (raw === null) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}`)
    return fallback
  }
  return value
}

function boolean (env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = nonEmpty(env[name])
  if (raw === null) return fallback
  const normalised = raw.toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true
  if (['false', '0', 'no', 'off'].includes(normalised)) return false
  problems.push(`${name} must be true or false`)
  return fallback
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

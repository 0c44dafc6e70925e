// A valid Config for tests: fresh random secrets, a temp data dir, no scheduler unless asked.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../../src/config/config.js'
import { RETENTION_SECONDS } from '../../src/config/config.js'

export function randomFernetKey (): string {
  return randomBytes(32).toString('base64url') + '='
}

export function testConfig (overrides: Partial<Config> = {}): Config {
  return {
    host: '127.0.0.1',
    port: 0,
    mongodbUri: null,
    dbName: `t_${randomBytes(6).toString('hex')}`,
    dataDir: mkdtempSync(join(tmpdir(), 'atlaslens-test-')),
    encryptionKeys: [randomFernetKey()],
    jwtSecret: randomBytes(32).toString('hex'),
    cookieSecure: true,
    sessionTtlSeconds: 8 * 3600,
    logLevel: 'silent',
    trustProxy: false,
    encryptDisplayNames: false,
    retentionSeconds: RETENTION_SECONDS,
    schedulerEnabled: false,
    syncIntervalMinutes: 15,
    storeTtlIntervalMs: 60_000,
    sites: [],
    throwawaySecrets: false,
    ...overrides
  }
}

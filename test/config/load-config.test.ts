import t from 'tap'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, isFernetKey } from '../../src/config/load-config.js'
import { randomFernetKey } from '../helpers/test-config.js'

const KEY = randomFernetKey()
const JWT = randomBytes(32).toString('hex')
const base = { ATLASLENS_ENCRYPTION_KEY: KEY, ATLASLENS_JWT_SECRET: JWT }

function problemsOf (env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    t.equal((err as { code?: string }).code, 'ATL_CONFIG_INVALID')
    return (err as Error).message
  }
  throw new Error('expected loadConfig to fail')
}

t.test('defaults', async (t) => {
  const c = loadConfig(base)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.port, 3000)
  t.equal(c.mongodbUri, null)
  t.equal(c.dbName, 'atlaslens')
  t.match(c.dataDir, /\/data$/)
  t.equal(c.cookieSecure, true)
  t.equal(c.logLevel, 'info')
  t.equal(c.retentionSeconds, 31_536_000)
  t.equal(c.syncIntervalMinutes, 15)
  t.equal(c.sessionTtlSeconds, 8 * 3600)
  t.same(c.encryptionKeys, [KEY])
  t.same(c.sites, [])
  t.equal(c.throwawaySecrets, false)
})

t.test('the result is deeply frozen', async (t) => {
  const c = loadConfig({ ...base, ATLASLENS_ATLASSIAN_SITE: 'acme.atlassian.net' })
  t.ok(Object.isFrozen(c))
  t.ok(Object.isFrozen(c.sites))
  t.ok(Object.isFrozen(c.sites[0]?.baseUrls))
  t.throws(() => { (c as { port: number }).port = 1 })
})

t.test('an invalid Fernet key is named, never echoed', async (t) => {
  const msg = problemsOf({ ...base, ATLASLENS_ENCRYPTION_KEY: 'not-a-key-SECRETVALUE' })
  t.match(msg, /ATLASLENS_ENCRYPTION_KEY must be a Fernet key/)
  t.notMatch(msg, /SECRETVALUE/)
})

t.test('several keys for rotation; the bad one is pointed at by position', async (t) => {
  const second = randomFernetKey()
  t.same(loadConfig({ ...base, ATLASLENS_ENCRYPTION_KEY: `${KEY}, ${second}` }).encryptionKeys, [KEY, second])
  const msg = problemsOf({ ...base, ATLASLENS_ENCRYPTION_KEY: `${KEY},oops` })
  t.match(msg, /entry 2 is not/)
  t.notMatch(msg, /oops/)
  t.notMatch(msg, new RegExp(KEY.slice(0, 20)))
})

t.test('a short JWT secret is refused without echoing it', async (t) => {
  const msg = problemsOf({ ...base, ATLASLENS_JWT_SECRET: 'short-secret-XYZ' })
  t.match(msg, /ATLASLENS_JWT_SECRET must be at least 32 bytes/)
  t.notMatch(msg, /XYZ/)
})

t.test('missing secrets are all reported together', async (t) => {
  const msg = problemsOf({ ATLASLENS_PORT: 'eighty' })
  t.match(msg, /ATLASLENS_ENCRYPTION_KEY is required/)
  t.match(msg, /ATLASLENS_JWT_SECRET is required/)
  t.match(msg, /ATLASLENS_PORT must be a whole number/)
})

t.test('secrets from _FILE variables; both forms at once is an error', async (t) => {
  const dir = t.testdir({ key: `${KEY}\n`, jwt: JWT })
  const c = loadConfig({ ATLASLENS_ENCRYPTION_KEY_FILE: join(dir, 'key'), ATLASLENS_JWT_SECRET_FILE: join(dir, 'jwt') })
  t.same(c.encryptionKeys, [KEY])
  t.equal(c.jwtSecret, JWT)
  t.match(problemsOf({ ...base, ATLASLENS_JWT_SECRET_FILE: join(dir, 'jwt') }), /either ATLASLENS_JWT_SECRET or ATLASLENS_JWT_SECRET_FILE/)
  t.match(problemsOf({ ...base, ATLASLENS_ENCRYPTION_KEY: undefined as never, ATLASLENS_ENCRYPTION_KEY_FILE: join(dir, 'missing') }),
    /ATLASLENS_ENCRYPTION_KEY_FILE names a file that cannot be read \(ENOENT\)/)
})

t.test('value rules', async (t) => {
  t.match(problemsOf({ ...base, ATLASLENS_PORT: '70000' }), /ATLASLENS_PORT must be a whole number from 0 to 65535/)
  t.match(problemsOf({ ...base, ATLASLENS_COOKIE_SECURE: 'maybe' }), /ATLASLENS_COOKIE_SECURE must be true or false/)
  t.match(problemsOf({ ...base, ATLASLENS_LOG_LEVEL: 'loud' }), /ATLASLENS_LOG_LEVEL must be one of/)
  t.match(problemsOf({ ...base, ATLASLENS_MONGODB_URI: 'postgres://x' }), /ATLASLENS_MONGODB_URI must start with mongodb/)
  t.match(problemsOf({ ...base, ATLASLENS_DB_NAME: 'a b' }), /ATLASLENS_DB_NAME/)
  t.match(problemsOf({ ...base, ATLASLENS_SYNC_INTERVAL_MINUTES: '0' }), /ATLASLENS_SYNC_INTERVAL_MINUTES/)
  const c = loadConfig({ ...base, ATLASLENS_COOKIE_SECURE: 'false', ATLASLENS_PORT: '8080', ATLASLENS_HOST: '0.0.0.0',
    ATLASLENS_MONGODB_URI: 'mongodb://db:27017', ATLASLENS_LOG_LEVEL: 'debug', ATLASLENS_ENCRYPT_DISPLAY_NAMES: 'true' })
  t.equal(c.cookieSecure, false)
  t.equal(c.port, 8080)
  t.equal(c.host, '0.0.0.0')
  t.equal(c.mongodbUri, 'mongodb://db:27017')
  t.equal(c.logLevel, 'debug')
  t.equal(c.encryptDisplayNames, true)
})

t.test('one site from the environment, with base-URL overrides and the scoped-token gateway', async (t) => {
  const c = loadConfig({
    ...base,
    ATLASLENS_ATLASSIAN_SITE: 'acme.atlassian.net',
    ATLASLENS_ATLASSIAN_EMAIL: 'ops@example.com',
    ATLASLENS_JIRA_API_TOKEN: 'jira-token',
    ATLASLENS_BITBUCKET_WORKSPACE: 'acme',
    ATLASLENS_BITBUCKET_API_TOKEN: 'bb-token',
    ATLASLENS_ORG_ID: 'org-1',
    ATLASLENS_ORG_API_KEY: 'org-key',
    ATLASLENS_CONFLUENCE_BASE_URL: 'http://127.0.0.1:9999/'
  })
  const s = c.sites[0]
  t.equal(s?.id, 'acme.atlassian.net')
  t.equal(s?.baseUrls.jira, 'https://acme.atlassian.net')
  t.equal(s?.baseUrls.confluence, 'http://127.0.0.1:9999')
  t.equal(s?.baseUrls.bitbucket, 'https://api.bitbucket.org/2.0')
  t.equal(s?.baseUrls.admin, 'https://api.atlassian.com/admin')
  t.equal(s?.bitbucketEmail, 'ops@example.com')
  t.equal(s?.confluenceApiToken, null)
  const gw = loadConfig({ ...base, ATLASLENS_ATLASSIAN_SITE: 'acme.atlassian.net', ATLASLENS_ATLASSIAN_CLOUD_ID: 'abc-123' })
  t.equal(gw.sites[0]?.baseUrls.jira, 'https://api.atlassian.com/ex/jira/abc-123')
  t.equal(gw.sites[0]?.baseUrls.confluence, 'https://api.atlassian.com/ex/confluence/abc-123')
  t.match(problemsOf({ ...base, ATLASLENS_ATLASSIAN_SITE: 'https://acme.atlassian.net/' }), /must be a host name/)
  t.match(problemsOf({ ...base, ATLASLENS_ATLASSIAN_SITE: 'acme.atlassian.net', ATLASLENS_JIRA_API_TOKEN: 'x' }),
    /ATLASLENS_ATLASSIAN_EMAIL is required/)
  t.match(problemsOf({ ...base, ATLASLENS_ATLASSIAN_SITE: 'a.atlassian.net', ATLASLENS_ADMIN_BASE_URL: 'ftp://x' }),
    /ATLASLENS_ADMIN_BASE_URL must be an http\(s\) URL/)
})

t.test('several sites from ATLASLENS_SITES_FILE, secrets only by file reference', async (t) => {
  const dir = t.testdir({ 'jira-a': 'token-a', 'org-b': 'key-b' })
  const sitesFile = join(dir, 'sites.json')
  writeFileSync(sitesFile, JSON.stringify([
    { site: 'a.atlassian.net', email: 'a@example.com', jiraApiTokenFile: join(dir, 'jira-a') },
    { id: 'b-org', orgId: 'org-b', orgApiKeyFile: join(dir, 'org-b') }
  ]))
  const c = loadConfig({ ...base, ATLASLENS_SITES_FILE: sitesFile })
  t.equal(c.sites.length, 2)
  t.equal(c.sites[0]?.jiraApiToken, 'token-a')
  t.equal(c.sites[1]?.id, 'b-org')
  t.equal(c.sites[1]?.orgApiKey, 'key-b')

  writeFileSync(sitesFile, JSON.stringify([{ site: 'a.atlassian.net', jiraApiToken: 'inline!', colour: 'red' }]))
  const msg = problemsOf({ ...base, ATLASLENS_SITES_FILE: sitesFile })
  t.match(msg, /jiraApiToken must not be inline/)
  t.match(msg, /colour is not a known setting/)
  t.notMatch(msg, /inline!/)
  writeFileSync(sitesFile, '{not json')
  t.match(problemsOf({ ...base, ATLASLENS_SITES_FILE: sitesFile }), /cannot be read as JSON/)
})

t.test('isFernetKey', async (t) => {
  t.ok(isFernetKey(KEY))
  t.notOk(isFernetKey(KEY.slice(1)))
  t.notOk(isFernetKey('x'.repeat(44)))
  t.notOk(isFernetKey(''))
})

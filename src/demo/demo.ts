// The try-out: AtlasLens on the embedded store, fed by the Atlassian simulator, with throwaway secrets kept under
// the data directory. Never for real data: the page footer and the log say so.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startSimulator } from '../simulator/index.js'
import { startServer } from '../server.js'
import { createAdminsRepository } from '../auth/admins-repository.js'
import { hashPassword } from '../auth/passwords.js'

interface DemoSecrets {
  encryptionKey: string
  jwtSecret: string
  adminPassword: string
}

const DEMO_ADMIN = 'demo'

function loadOrCreateSecrets (file: string): DemoSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoSecrets
  const secrets: DemoSecrets = {
    encryptionKey: `${randomBytes(32).toString('base64url')}=`,
    jwtSecret: randomBytes(48).toString('base64url'),
    adminPassword: randomBytes(12).toString('base64url')
  }
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
  return secrets
}

async function main (): Promise<void> {
  const dataDir = resolve(process.env.ATLASLENS_DATA_DIR ?? './data/demo')
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const secretsFile = join(dataDir, 'demo-secrets.json')
  const secrets = loadOrCreateSecrets(secretsFile)
  const userSecrets = process.env.ATLASLENS_ENCRYPTION_KEY !== undefined && process.env.ATLASLENS_JWT_SECRET !== undefined

  const seed = Number(process.env.ATLASLENS_DEMO_SEED ?? 7)
  const sim = await startSimulator({ seed, size: 'small', guard: true, faults: 'none' })
  const creds = sim.handle.credentials
  const env: NodeJS.ProcessEnv = {
    ATLASLENS_COOKIE_SECURE: 'false',
    ATLASLENS_SYNC_INTERVAL_MINUTES: '1',
    ...process.env,
    ATLASLENS_DATA_DIR: dataDir,
    ATLASLENS_ENCRYPTION_KEY: process.env.ATLASLENS_ENCRYPTION_KEY ?? secrets.encryptionKey,
    ATLASLENS_JWT_SECRET: process.env.ATLASLENS_JWT_SECRET ?? secrets.jwtSecret,
    // Every Atlassian call goes to the simulator; deep links still read like a real site.
    ATLASLENS_ATLASSIAN_SITE: sim.handle.siteHost,
    ATLASLENS_ATLASSIAN_EMAIL: creds.email,
    ATLASLENS_JIRA_API_TOKEN: creds.token,
    ATLASLENS_CONFLUENCE_API_TOKEN: creds.token,
    ATLASLENS_BITBUCKET_WORKSPACE: sim.handle.workspace,
    ATLASLENS_BITBUCKET_API_TOKEN: creds.token,
    ATLASLENS_ORG_ID: sim.handle.orgId,
    ATLASLENS_ORG_API_KEY: creds.orgKey,
    ATLASLENS_JIRA_BASE_URL: sim.url,
    ATLASLENS_CONFLUENCE_BASE_URL: sim.url,
    ATLASLENS_BITBUCKET_BASE_URL: `${sim.url}/2.0`,
    ATLASLENS_ADMIN_BASE_URL: `${sim.url}/admin`
  }
  const app = await startServer(env, {
    throwawaySecrets: !userSecrets,
    prepare: (app) => {
      app.addHook('onReady', async () => {
        const admins = createAdminsRepository(app.mongo.db)
        await admins.ensureIndexes()
        if (await admins.findByUsername(DEMO_ADMIN) === null) {
          await admins.create(DEMO_ADMIN, await hashPassword(secrets.adminPassword))
        }
      })
      app.addHook('onClose', async () => { await sim.close() })
    }
  })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : app.config.port
  // The try-out's own throwaway login, shown once on the terminal (not through the logger).
  process.stdout.write([
    '',
    '  AtlasLens try-out is running (embedded store + simulated Atlassian organisation).',
    `  Open   http://${app.config.host}:${port}/`,
    `  Login  ${DEMO_ADMIN} / ${secrets.adminPassword}`,
    `  Throwaway secrets and data live in ${dataDir} — delete it to start over.`,
    ''
  ].join('\n') + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})

// Sign-in and gate figures (not assertions): bcrypt cost, wrong password vs unknown username (should match:
// the dummy hash), and what the JWT gate adds to an authenticated request.
// Run: npm run build && node bench/auth-bench.mjs [--full]   (default 6 sign-ins each, 300 gated requests)
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../dist/app.js'
import { hashPassword } from '../dist/auth/passwords.js'

const full = process.argv.includes('--full')
const LOGINS = full ? 30 : 6
const REQUESTS = full ? 3000 : 300

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'atlaslens-auth-bench-'))
const app = await buildApp({
  host: '127.0.0.1', port: 0, mongodbUri: null, dbName: 'bench', dataDir,
  encryptionKeys: [randomBytes(32).toString('base64url') + '='], jwtSecret: randomBytes(32).toString('hex'),
  cookieSecure: true, sessionTtlSeconds: 8 * 3600, logLevel: 'silent', trustProxy: false, encryptDisplayNames: false,
  retentionSeconds: 31_536_000, schedulerEnabled: false, syncIntervalMinutes: 15, storeTtlIntervalMs: 60_000, sites: [],
  throwawaySecrets: false
})
await app.ready()

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

let t0 = process.hrtime.bigint()
const hash = await hashPassword('bench-password-123')
console.log(`bcrypt hash (cost 12): ${ms(t0).toFixed(0)} ms`)
// The throttle allows 5 failures per username: spread the wrong-password series over several admins.
for (let a = 0; a * 4 < LOGINS; a++) await app.admins.create(`bench${a}`, hash)

async function token (username, password, i) {
  const t = process.hrtime.bigint()
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress: `10.${i >> 8}.${i & 255}.1`, payload: { username, password } })
  return { ms: ms(t), status: res.statusCode, body: res.json() }
}
// Interleaved so that machine load affects both series alike; each attempt from its own IP.
const wrong = []
const unknown = []
for (let i = 0; i < LOGINS; i++) {
  wrong.push((await token(`bench${Math.floor(i / 4)}`, `wrong-password-${i}`, 2 * i)).ms)
  unknown.push((await token(`ghost-${i}`, `wrong-password-${i}`, 2 * i + 1)).ms)
}
console.log(`sign-in, wrong password:   median ${median(wrong).toFixed(0)} ms over ${LOGINS}`)
console.log(`sign-in, unknown username: median ${median(unknown).toFixed(0)} ms over ${LOGINS}`)

const ok = await token('bench0', 'bench-password-123', 5000)
const bearer = ok.body.token
async function burst (headers, url) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < REQUESTS; i++) await app.inject({ url, headers })
  return (ms(t) / REQUESTS)
}
const publicMs = await burst({}, '/healthz')
const gatedMs = await burst({ authorization: `Bearer ${bearer}` }, '/api/v1/me')
console.log(`public /healthz: ${publicMs.toFixed(2)} ms/request; gated /api/v1/me (JWT verify + admin lookup): ${gatedMs.toFixed(2)} ms/request (${REQUESTS} sequential injects)`)

await app.close()
await rm(dataDir, { recursive: true, force: true })

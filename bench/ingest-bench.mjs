// Ingest figures (not assertions): events/s through createIngest alone — validation, minimisation, ids, the
// events bulk upsert, identities, rollups — against the embedded store (or ATLASLENS_BENCH_MONGODB_URI).
// Run: npx tsc -p tsconfig.json && node bench/ingest-bench.mjs [--full]   (default 20k events; --full = 200k)
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MongoClient } from 'mongodb'
import pino from 'pino'
import { startEmbeddedStore } from '../dist/db/embedded/index.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../dist/crypto/field-cipher.js'
import { ensureEventIndexes } from '../dist/events/event-indexes.js'
import { createIngest } from '../dist/events/ingest.js'
import { buildEvent } from '../dist/events/event-builder.js'
import { EVENT_INDEXES } from '../dist/events/event-indexes.js'

const full = process.argv.includes('--full')
const TOTAL = full ? 200_000 : Number(process.env.BENCH_EVENTS ?? 20_000)
const PAGE = 500
const ACTORS = 300
const DAY = 86_400_000
const now = new Date()
const ops = ['issue_created', 'issue_transitioned', 'comment_added', 'page_updated', 'permission_changed', 'pr_merged']
const products = ['jira', 'confluence', 'bitbucket', 'admin']

function draft (i) {
  const product = products[i % products.length]
  const actor = i % ACTORS
  return {
    site: 'acme.atlassian.net',
    product,
    pipeline: i % 5 === 0 ? 'audit' : 'activity',
    source: `${product}-bench`,
    source_record_id: `${i % 997}:history:${i}`,
    // Pages are time-contiguous, as a connector reads them; the whole run spans 360 days.
    occurred_at: new Date(now.getTime() - DAY - Math.floor(((TOTAL - i) / TOTAL) * 359 * DAY)).toISOString().replace('Z', '+0000'),
    operation: ops[i % ops.length],
    actor: {
      account_id: `5b10ac8d82e05b22cc7d4e${actor}`,
      display_name: `Person ${actor}`,
      // A tenth of the actors carry an email, as a Bitbucket raw author would: exercises Fernet + blind index.
      ...(actor % 10 === 0 ? { raw_author: `Person ${actor} <person${actor}@example.com>` } : {})
    },
    object: { type: 'issue', id: String(i % 997), name: `Issue ${i % 997}`, container: `PROJ${i % 40}`, url: `https://acme.atlassian.net/browse/PROJ-${i % 997}` },
    changes: [{ field: 'status', from: 'Open', to: 'Done' }],
    source_ip: `10.0.${i % 255}.${i % 253}`,
    summary: `Changed status of PROJ-${i % 997}`
  }
}

const uri = process.env.ATLASLENS_BENCH_MONGODB_URI
const dataDir = uri ? null : await mkdtemp(path.join(os.tmpdir(), 'atlaslens-ingest-bench-'))
const store = uri ? null : await startEmbeddedStore({ dataDir, port: 0 })
const client = await MongoClient.connect(uri ?? store.uri)
const db = client.db(`ingest_bench_${process.pid}`)
const logger = pino({ level: 'silent' })
const keys = [generateFernetKey()]
await ensureEventIndexes(db, logger)
const ingest = createIngest({ db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys), retentionSeconds: 31_536_000, encryptDisplayNames: false })

const pagesOf = (start) => Array.from({ length: TOTAL / PAGE }, (_, p) => Array.from({ length: PAGE }, (_, i) => draft(start + p * PAGE + i)))
async function run (label, batches) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const totals = { inserted: 0, alreadyPresent: 0 }
  for (const b of batches) {
    const r = await ingest(b)
    totals.inserted += r.inserted
    totals.alreadyPresent += r.alreadyPresent
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  console.log(`${label.padEnd(34)} ${String(TOTAL).padStart(7)} events  ${s.toFixed(2).padStart(6)} s wall  ${Math.round(TOTAL / s).toLocaleString('en-US').padStart(8)} events/s  (cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; inserted ${totals.inserted}, already present ${totals.alreadyPresent})`)
}

console.log(`ingest bench: ${TOTAL} events in pages of ${PAGE}, ${ACTORS} actors, ${EVENT_INDEXES.length} event indexes + TTL, ${uri ? 'external MongoDB' : 'embedded store'}`)
await run('first ingest (all new)', pagesOf(0))
await run('re-ingest (all already present)', pagesOf(0))
// Where the time goes: the pure CPU of validating/minimising/id-ing drafts, and the store's floor for the events
// bulk upsert alone (same indexes, no identities or rollups).
{
  const drafts = pagesOf(0).flat()
  let c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (const d of drafts) buildEvent(d, now, 'acc', (v) => v)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  let c = process.cpuUsage(c0)
  console.log(`${'draft → event only (no I/O)'.padEnd(34)} ${String(TOTAL).padStart(7)} events  ${s.toFixed(2).padStart(6)} s wall  ${Math.round(TOTAL / s).toLocaleString('en-US').padStart(8)} events/s  (cpu ${((c.user + c.system) / 1e6).toFixed(2)} s)`)
  const floor = db.collection('floor')
  await floor.createIndex({ occurred_at: 1 }, { expireAfterSeconds: 31_536_000 })
  await floor.createIndexes([...EVENT_INDEXES])
  const built = drafts.map((d) => buildEvent(d, now, 'acc', (v) => v).event)
  c0 = process.cpuUsage()
  const t1 = process.hrtime.bigint()
  for (let p = 0; p < built.length; p += PAGE) {
    await floor.bulkWrite(built.slice(p, p + PAGE).map(({ _id, ...e }) => ({ updateOne: { filter: { _id }, update: { $setOnInsert: e }, upsert: true } })), { ordered: false })
  }
  const s1 = Number(process.hrtime.bigint() - t1) / 1e9
  c = process.cpuUsage(c0)
  console.log(`${'events bulk upsert only (floor)'.padEnd(34)} ${String(TOTAL).padStart(7)} events  ${s1.toFixed(2).padStart(6)} s wall  ${Math.round(TOTAL / s1).toLocaleString('en-US').padStart(8)} events/s  (cpu ${((c.user + c.system) / 1e6).toFixed(2)} s)`)
}
const cipherKeys = createFieldCipher(keys)
const t0 = process.hrtime.bigint()
for (let i = 0; i < 500; i++) cipherKeys.encrypt(`person${i}@example.com`)
console.log(`fernet encrypt (fernet package)              ${(Number(process.hrtime.bigint() - t0) / 1e3 / 500).toFixed(0)} µs/token`)

await db.dropDatabase()
await client.close()
if (store) await store.close()
if (dataDir) await rm(dataDir, { recursive: true, force: true })

// Embedded store figures (not assertions): bulk upserts, an indexed date-range aggregation, resident memory.
// Run: npm run build && node bench/store-bench.mjs [--full] [--inline]   (default 100k events; --full = the 1M;
// --inline = the store on this thread instead of its worker thread, for comparison)
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { MongoClient } from 'mongodb'
import { startEmbeddedStore } from '../dist/db/embedded/index.js'
import { benchEvent, DAY, T0 as t0 } from './event-fixture.mjs'
import { calibrate, PROBE_LABEL, watchContention } from './machine-speed.mjs'

const full = process.argv.includes('--full')
const inline = process.argv.includes('--inline')
const EVENTS = full ? 1_000_000 : 100_000
const UPSERTS = 10_000
const event = (i) => benchEvent(i, EVENTS)

// Wall time and this process's CPU time (all threads: client + store worker): on a busy shared machine the CPU
// figure is the one to compare with the targets.
let cpuMark = process.cpuUsage()
const mark = () => { cpuMark = process.cpuUsage(); return process.hrtime.bigint() }
const ms = (a) => { const c = process.cpuUsage(cpuMark); return `${(Number(process.hrtime.bigint() - a) / 1e6).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms cpu` }
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'atlaslens-bench-'))
const store = await startEmbeddedStore({ dataDir, port: 0, inline })
const client = await MongoClient.connect(store.uri)
const db = client.db('bench')
const events = db.collection('events')
await events.createIndex({ occurred_at: 1 }, { expireAfterSeconds: 10 * 365 * 86_400 })
await events.createIndex({ actor_account_id: 1, occurred_at: -1 })
const figures = {}

// 1. 10,000 upserts in one unordered bulkWrite, by _id (as ingest writes them) and by a unique compound key:
// inserts first, then all-present. The first batch of each kind in a fresh process also pays for JIT warm-up
// (driver and store) and is reported on its own; after two more throwaway batches (the JIT has finished
// optimising, as in a server that has been running for a while) ROUNDS timed batches go to fresh collections and
// their median is reported with the range (one sample swings with the machine's other load). Each batch is split
// in two with serverStatus.opLatencies (as mongod reports it): the store's own time, from the command's first byte
// processed to its reply ready (journal commit included), and the rest, which is the driver encoding 10,000
// statements before the store sees a byte, plus decoding the reply.
const ROUNDS = 5
const upserts = Array.from({ length: UPSERTS }, (_, i) => { const d = event(i); return { updateOne: { filter: { _id: d._id }, update: { $setOnInsert: d }, upsert: true } } })
const keyed = Array.from({ length: UPSERTS }, (_, i) => { const { _id, ...d } = event(i); return { updateOne: { filter: { site: d.site, source_record_id: d.source_record_id }, update: { $setOnInsert: d }, upsert: true } } })
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const writeMicros = async () => Number((await db.admin().command({ serverStatus: 1 })).opLatencies.writes.latency)
figures['machine speed at the start'] = `${(await calibrate()).toFixed(1)} ms for ${PROBE_LABEL} (best of 10)`
async function upsertFigures (ops, label, unique) {
  const contention = watchContention()
  const collection = async (name) => {
    const c = db.collection(name)
    if (unique) await c.createIndex({ site: 1, source_record_id: 1 }, { unique: true })
    return c
  }
  for (let round = 0; round < 3; round++) {
    const c = await collection(`warmup_${label}_${round}`)
    const s = mark()
    const r = await c.bulkWrite(ops, { ordered: false })
    if (round === 0) figures[`10k upserts by ${label} (all new), cold first batch`] = `${ms(s)} (upserted ${r.upsertedCount})`
    await c.drop()
  }
  const timed = async (c, expect) => {
    const store0 = await writeMicros()
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    const r = await c.bulkWrite(ops, { ordered: false })
    const wall = Number(process.hrtime.bigint() - t0) / 1e6
    const c1 = process.cpuUsage(cpu0)
    const store = ((await writeMicros()) - store0) / 1000
    if ((expect === 'new' ? r.upsertedCount : r.matchedCount) !== UPSERTS) throw new Error(`unexpected bulkWrite result for ${label}`)
    return { wall, cpu: (c1.user + c1.system) / 1000, store }
  }
  const news = []; const presents = []
  for (let round = 0; round < ROUNDS; round++) {
    const c = await collection(`${label === '_id' ? 'upserts' : 'keyed'}_${round}`)
    news.push(await timed(c, 'new'))
    presents.push(await timed(c, 'present'))
    await c.drop() // the resident-memory figures below count the event collection only
  }
  const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`
  const show = (xs) => {
    const walls = xs.map((x) => x.wall)
    const stores = xs.map((x) => x.store)
    const clients = xs.map((x) => x.wall - x.store)
    return `${median(walls).toFixed(0)} ms wall (${range(walls)}), ${median(xs.map((x) => x.cpu)).toFixed(0)} ms cpu; ` +
      `store ${median(stores).toFixed(0)} ms (${range(stores)}), driver and transfer ${median(clients).toFixed(0)} ms (${range(clients)})`
  }
  figures[`10k upserts by ${label} (all new), median of ${ROUNDS}`] = show(news)
  figures[`10k upserts by ${label} (all present), median of ${ROUNDS}`] = show(presents)
  figures[`10k upserts by ${label}: the machine meanwhile`] = contention()
}
await upsertFigures(upserts, '_id', false)
await upsertFigures(keyed, 'unique key', true)

// 2. Load the event collection.
let s = mark()
for (let i = 0; i < EVENTS; i += 10_000) {
  await events.bulkWrite(Array.from({ length: Math.min(10_000, EVENTS - i) }, (_, k) => { const d = event(i + k); return { updateOne: { filter: { _id: d._id }, update: { $setOnInsert: d }, upsert: true } } }), { ordered: false })
}
figures[`load ${EVENTS} events (10k-upsert batches)`] = ms(s)
global.gc?.()
figures[`RSS with ${EVENTS} events loaded`] = `${(process.memoryUsage().rss / 1048576).toFixed(0)} MB (heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB)`

// 3. Group by actor over a date range served by the occurred_at index (30 days, then the whole year).
for (const [label, days] of [['30-day', 30], ['365-day', 365]]) {
  const pipeline = [
    { $match: { occurred_at: { $gte: new Date(t0 + (365 - days) * DAY), $lt: new Date(t0 + 365 * DAY) } } },
    { $group: { _id: '$actor_account_id', n: { $sum: 1 }, last: { $max: '$occurred_at' } } },
    { $sort: { n: -1 } },
    { $limit: 10 }
  ]
  // How long the caller's event loop (the web server's, in the app) stalls while the store aggregates.
  const lag = monitorEventLoopDelay({ resolution: 5 })
  lag.enable()
  s = mark()
  const top = await events.aggregate(pipeline).toArray()
  lag.disable()
  figures[`group by actor, ${label} range (top 10 of ${EVENTS})`] = `${ms(s)} (${top.length} rows; caller event loop max stall ${(lag.max / 1e6).toFixed(0)} ms)`
}
s = mark()
await events.find({ actor_account_id: '5b10ac8d82e05b22cc7d4e7' }).sort({ occurred_at: -1 }).limit(50).toArray()
figures['one actor, newest 50 (compound index top-N)'] = ms(s)
s = mark()
await events.find({ occurred_at: { $gte: new Date(t0 + 364 * DAY) } }).sort({ occurred_at: -1 }).limit(100).toArray()
figures['newest 100 in last day (index range + sort)'] = ms(s)
global.gc?.()
figures['RSS after the aggregations and finds'] = `${(process.memoryUsage().rss / 1048576).toFixed(0)} MB (heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB)`

await client.close()
await store.close()
await rm(dataDir, { recursive: true, force: true })
figures['machine speed at the end'] = `${(await calibrate()).toFixed(1)} ms (best of 10)`
console.log(JSON.stringify({ events: EVENTS, store: inline ? 'inline' : 'worker thread', node: process.version, loadavg: os.loadavg().map((x) => x.toFixed(1)).join(' '), figures }, null, 2))

// End-to-end connector figures (not assertions): the in-process simulator (no faults) → real connectors and read-only
// clients → scheduler → ingest → embedded store. Then, in the same run, the raw driver's unordered bulk upsert of the
// same final documents into an identically indexed collection, as the baseline.
// Run: npm run build && node bench/connector-bench.mjs [--full] [--events N] [--sim-main-thread] [--ingest-writes N]
//   (default 100k events; --full = 1M). The simulator runs in a worker thread unless --sim-main-thread.
// CPU figures are for the whole process (all threads), which also hosts the simulator and the embedded store.
import { mkdtemp, rm, readdir, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import pino from 'pino'
import { startEmbeddedStore } from '../dist/db/embedded/index.js'
import { startSimulator, DEFAULT_CREDENTIALS } from '../dist/simulator/index.js'
import { startSimulatorInWorker } from '../dist/simulator/simulator-worker.js'
import { createFieldCipher, createBlindIndex } from '../dist/crypto/field-cipher.js'
import { createIngest } from '../dist/events/ingest.js'
import { ensureEventIndexes } from '../dist/events/event-indexes.js'
import { createClientFactory } from '../dist/connectors/client-factory.js'
import { buildRegistry, createConnectors } from '../dist/connectors/registry.js'
import { createDirectorySink } from '../dist/connectors/directory/directory-sink.js'
import { createIdentitiesRepository } from '../dist/identities/identities-repository.js'
import { createTeamsRepository } from '../dist/teams/teams-repository.js'
import { createScheduler } from '../dist/scheduler/scheduler.js'

const argv = process.argv.slice(2)
const full = argv.includes('--full')
// Default: the simulator runs in a worker thread of this process, so the main thread measures AtlasLens alone.
const simOnMain = argv.includes('--sim-main-thread')
const eventsArg = argv.indexOf('--events')
const TARGET = eventsArg >= 0 ? Number(argv[eventsArg + 1]) : full ? 1_000_000 : 100_000
const writesArg = argv.indexOf('--ingest-writes')
// Ingest writes in flight at once (group commit); default: ingest's own default.
const INGEST_WRITES = writesArg >= 0 ? Number(argv[writesArg + 1]) : undefined
const RETENTION_SECONDS = 31_536_000
const FAST = { concurrency: 4, ratePerSecond: 1_000_000, burst: 1_000_000 }

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const secs = (us) => us / 1e6

/** CPU seconds per thread of this process (Linux /proc): the main thread's tid is the pid. */
async function threadCpu () {
  const out = new Map()
  let tids = []
  try { tids = await readdir('/proc/self/task') } catch { return out }
  for (const tid of tids) {
    try {
      const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const comm = (await readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim()
      out.set(tid, { comm, cpu: (Number(fields[11]) + Number(fields[12])) / 100 })
    } catch {}
  }
  return out
}

let peakRss = process.memoryUsage().rss
const rssSamples = []
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss()
  if (rss > peakRss) peakRss = rss
}, 100)
sampler.unref()

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'atlaslens-connector-bench-'))
const store = await startEmbeddedStore({ dataDir, port: 0 })
// Command monitoring counts the write operations (documents written) that ingest sends during the run.
const client = await MongoClient.connect(store.uri, { monitorCommands: true })
const writeOps = new Map()
let counting = false
client.on('commandStarted', (e) => {
  if (!counting) return
  const c = e.command
  const kind = e.commandName
  if (kind !== 'update' && kind !== 'insert' && kind !== 'delete' && kind !== 'findAndModify') return
  const name = c[kind]
  const n = kind === 'findAndModify' ? 1 : (c.updates ?? c.documents ?? c.deletes ?? []).length
  const w = writeOps.get(name) ?? { commands: 0, ops: 0 }
  w.commands++
  w.ops += n
  writeOps.set(name, w)
})
const db = client.db(`bench_${randomBytes(4).toString('hex')}`)
const logger = pino({ level: 'silent' })
const now = new Date(Date.now() - 60_000)
const sim = await (simOnMain ? startSimulator : startSimulatorInWorker)({ seed: 11, size: { people: Math.max(50, Math.round(TARGET / 500)), events: TARGET }, guard: true, faults: 'none', now })

try {
  const key = randomBytes(32).toString('base64url') + '='
  const cipher = createFieldCipher([key])
  const blindIndex = createBlindIndex([key])
  await ensureEventIndexes(db, logger, RETENTION_SECONDS)
  const identities = createIdentitiesRepository({ db, cipher, blindIndex, encryptDisplayNames: false, logger })
  const teams = createTeamsRepository({ db, logger })
  await Promise.all([identities.ensureIndexes(), teams.ensureIndexes()])
  const ingest = createIngest({ db, cipher, blindIndex, logger, identities, teams, retentionSeconds: RETENTION_SECONDS, encryptDisplayNames: false, maxConcurrentWrites: INGEST_WRITES })

  const clients = createClientFactory({
    logger,
    rateProfiles: { default: FAST, jira: FAST, confluence: FAST, admin: FAST, adminEvents: FAST, bitbucket: FAST }
  })
  const site = {
    id: 'sim',
    site: sim.handle.siteHost,
    cloudId: null,
    email: DEFAULT_CREDENTIALS.email,
    jiraApiToken: DEFAULT_CREDENTIALS.token,
    confluenceApiToken: DEFAULT_CREDENTIALS.token,
    bitbucketWorkspace: sim.handle.workspace,
    bitbucketApiToken: DEFAULT_CREDENTIALS.token,
    bitbucketEmail: DEFAULT_CREDENTIALS.email,
    orgId: sim.handle.orgId,
    orgApiKey: DEFAULT_CREDENTIALS.orgKey,
    baseUrls: { jira: sim.url, confluence: sim.url, bitbucket: `${sim.url}/2.0`, admin: `${sim.url}/admin` }
  }
  const scheduler = createScheduler({
    db,
    entries: buildRegistry([site], createConnectors(clients)),
    ingest,
    logger,
    intervalMs: 15 * 60_000,
    directorySink: (s) => createDirectorySink(identities, teams, s.id)
  })
  await scheduler.init()

  const truth = await sim.handle.groundTruth(new Date(now.getTime() - (RETENTION_SECONDS - 86_400) * 1000), now)
  const expected = Object.values(truth).reduce((a, b) => a + b, 0)
  console.log(`simulator (${simOnMain ? 'main thread' : 'worker thread'}): ${expected} records in the retention window (target ${TARGET}); sources ${JSON.stringify(truth)}`)

  const threads0 = await threadCpu()
  const elu0 = performance.eventLoopUtilization()
  counting = true
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const progress = setInterval(async () => {
    const n = await db.collection('events').estimatedDocumentCount()
    const rss = process.memoryUsage().rss
    rssSamples.push([n, rss])
    if (rssSamples.length % 4 === 1) console.log(`  ${n} events, rss ${mb(rss)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  }, full ? 15_000 : 5_000)
  await scheduler.syncNow()
  await scheduler.whenIdle()
  clearInterval(progress)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  counting = false
  const elu = performance.eventLoopUtilization(elu0)
  const threads1 = await threadCpu()
  const states = await scheduler.states.list()
  const failed = states.filter((s) => s.availability !== 'ok')
  const stored = await db.collection('events').countDocuments({})
  await scheduler.close()
  await clients.close()
  const simStats = await sim.handle.stats()

  const cpuS = secs(cpu.user + cpu.system)
  const eps = stored / (wallMs / 1000)
  console.log('\nend to end (simulator → connectors → ingest → embedded store)')
  console.log(`  events stored     ${stored}${failed.length > 0 ? `  (NOT OK: ${failed.map((s) => `${s.source}: ${s.last_error}`).join('; ')})` : ''}`)
  console.log(`  wall time         ${(wallMs / 1000).toFixed(1)} s`)
  console.log(`  events/s          ${eps.toFixed(0)}`)
  console.log(`  CPU-s / 100k      ${(cpuS / (stored / 100_000)).toFixed(2)}  (process total ${cpuS.toFixed(1)} s, includes simulator and store)`)
  // What that CPU cost allows at best: both cores busy all the time, nothing waiting on anything.
  const cpuPerEvent = (cpuS * 1e6) / stored
  console.log(`  CPU ceiling       ${(2e6 / cpuPerEvent).toFixed(0)} events/s with both cores fully busy at ${cpuPerEvent.toFixed(0)} CPU-µs per event (10,000 events/s needs ≤ 200)`)
  console.log(`  HTTP requests     ${simStats.requests}  (${(stored / simStats.requests).toFixed(0)} events per request)`)
  const routes = Object.entries(simStats.byRoute ?? {}).sort((a, b) => b[1] - a[1])
  console.log(`    ${routes.slice(0, 8).map(([r, n]) => `${r} ${n}`).join(', ')}`)
  const mainTid = String(process.pid)
  const mainCpu = (threads1.get(mainTid)?.cpu ?? 0) - (threads0.get(mainTid)?.cpu ?? 0)
  console.log(`  main thread       ${(mainCpu / (stored / 100_000)).toFixed(2)} CPU-s / 100k (${mainCpu.toFixed(1)} s; event loop busy ${(elu.utilization * 100).toFixed(0)}% of wall)`)
  const others = [...threads1].filter(([tid]) => tid !== mainTid).map(([tid, v]) => ({ tid, comm: v.comm, cpu: v.cpu - (threads0.get(tid)?.cpu ?? 0) })).filter((x) => x.cpu >= 0.5).sort((a, b) => b.cpu - a.cpu)
  console.log(`  other threads     ${others.map((x) => `${x.comm}#${x.tid} ${x.cpu.toFixed(1)} s`).join(', ')}  (store and simulator workers, GC, libuv)`)
  let opsTotal = 0
  let commandsTotal = 0
  for (const w of writeOps.values()) { opsTotal += w.ops; commandsTotal += w.commands }
  console.log(`  writes            ${(opsTotal / stored).toFixed(2)} documents written per event stored (${opsTotal} write ops in ${commandsTotal} commands)`)
  console.log(`    ${[...writeOps].sort((a, b) => b[1].ops - a[1].ops).map(([name, w]) => `${name} ${w.ops}/${w.commands}`).join(', ')}  (ops/commands)`)
  console.log(`  peak RSS          ${mb(Math.max(peakRss, process.resourceUsage().maxRSS * 1024))}`)
  for (const s of states) console.log(`    ${s.source.padEnd(20)} ${String(s.last_run?.records ?? 0).padStart(8)} records ${String(s.last_run?.pages ?? 0).padStart(6)} pages ${((s.last_run?.duration_ms ?? 0) / 1000).toFixed(1).padStart(7)} s`)

  // Baseline: the same final documents, unordered bulk upsert ($setOnInsert) into an identically indexed collection.
  const source = db.collection('events')
  const baseline = db.collection('events_baseline')
  const specs = (await source.indexes()).filter((i) => i.name !== '_id_')
  for (const spec of specs) {
    const { key: indexKey, name, v, ns, ...options } = spec
    await baseline.createIndex(indexKey, { name, ...options })
  }
  let writeMs = 0
  let written = 0
  // The store's own time (serverStatus opLatencies, as mongod reports it): batches go one at a time, so the rest of
  // the write time is the driver encoding the batch and decoding the reply.
  const storeWriteMicros = async () => Number((await db.admin().command({ serverStatus: 1 })).opLatencies.writes.latency)
  const store0 = await storeWriteMicros()
  const baseCpu0 = process.cpuUsage()
  let batch = []
  const flush = async () => {
    const t = performance.now()
    await baseline.bulkWrite(batch.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $setOnInsert: doc }, upsert: true } })), { ordered: false })
    writeMs += performance.now() - t
    written += batch.length
    batch = []
  }
  for await (const doc of source.find({}, { batchSize: 1000 })) {
    batch.push(doc)
    if (batch.length === 1000) await flush()
  }
  if (batch.length > 0) await flush()
  const baseCpu = process.cpuUsage(baseCpu0)
  const storeS = ((await storeWriteMicros()) - store0) / 1e6
  const baseEps = written / (writeMs / 1000)
  console.log('\nbaseline (raw driver, unordered bulk upsert of the same documents, write time only)')
  console.log(`  documents         ${written}`)
  console.log(`  write time        ${(writeMs / 1000).toFixed(1)} s`)
  console.log(`  docs/s            ${baseEps.toFixed(0)}`)
  console.log(`  store's own time  ${storeS.toFixed(1)} s (${((storeS * 1e6) / written).toFixed(0)} µs per document; at most ${(written / storeS).toFixed(0)} docs/s if the driver cost nothing); driver and transfer ${(writeMs / 1000 - storeS).toFixed(1)} s`)
  console.log(`  CPU-s / 100k      ${(secs(baseCpu.user + baseCpu.system) / (written / 100_000)).toFixed(2)}  (includes reading the documents back)`)
  console.log(`\nratio end-to-end / baseline time: ${(wallMs / writeMs).toFixed(2)}×  (target ≤ 1.5×; target ≥ 10,000 events/s)`)
  if (rssSamples.length > 1) {
    const step = Math.max(1, Math.ceil(rssSamples.length / 10))
    const shown = rssSamples.filter((_, i) => i % step === 0 || i === rssSamples.length - 1)
    console.log(`rss by events stored (process total: store and simulator included): ${shown.map(([n, r]) => `${n}:${mb(r)}`).join(', ')}`)
  }
} finally {
  await sim.close()
  await client.close()
  await store.close()
  await rm(dataDir, { recursive: true, force: true })
}

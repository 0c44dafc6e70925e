// The embedded store's own guarantees: acknowledged writes survive kill -9, snapshots compact the journal,
// and one process owns a data directory. (These target the embedded store even when a real server is configured.)
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Double, Long, MongoClient } from 'mongodb'
import { readRunningStore, startEmbeddedStore } from '../../src/db/embedded/index.js'

const storeModule = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/db/embedded/index.ts')).href
// The child runs the store from source through the same TypeScript loader tap gave this process.
const childSource = `
const { startEmbeddedStore } = await import(${JSON.stringify(storeModule)})
const store = await startEmbeddedStore({ dataDir: process.argv[1], port: 0 })
process.stdout.write(JSON.stringify({ port: store.port }) + '\\n')
setInterval(() => {}, 1 << 30)
`

async function spawnStore (dataDir: string) {
  const proc = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', childSource, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  for await (const chunk of proc.stdout) {
    out += String(chunk)
    if (out.includes('\n')) break
  }
  const { port } = JSON.parse(out.split('\n')[0] as string) as { port: number }
  return { proc, port }
}

t.test('every acknowledged write survives kill -9', async (t) => {
  const dataDir = t.testdir()
  const { proc, port } = await spawnStore(dataDir)
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL') })
  const running = await readRunningStore(dataDir)
  t.equal(running?.pid, proc.pid)
  t.equal(running?.port, port)

  const client = await MongoClient.connect(`mongodb://127.0.0.1:${port}`)
  const c = client.db('crash').collection<{ _id: string; v: number }>('acks')
  await c.createIndex({ v: 1 }, { unique: true })
  const acked = new Set<string>()
  for (let i = 0; i < 50; i++) { await c.insertOne({ _id: `one-${i}`, v: i }); acked.add(`one-${i}`) }
  await c.bulkWrite(Array.from({ length: 500 }, (_, i) => ({ updateOne: { filter: { _id: `bulk-${i}` }, update: { $setOnInsert: { v: 1000 + i } }, upsert: true } })), { ordered: false })
  for (let i = 0; i < 500; i++) acked.add(`bulk-${i}`)
  // Ingest's shape: the whole document (with _id first) in $setOnInsert; journaled from the client's bytes.
  const when = new Date('2025-01-02T03:04:05.678Z')
  await c.bulkWrite(Array.from({ length: 300 }, (_, i) => ({ updateOne: { filter: { _id: `ingest-${i}` }, update: { $setOnInsert: { _id: `ingest-${i}`, v: 2000 + i, when, big: Long.fromString('9007199254740993'), ratio: new Double(0.25), nested: { a: [1, 'x', null] } } as never }, upsert: true } })), { ordered: false })
  for (let i = 0; i < 300; i++) acked.add(`ingest-${i}`)
  await c.updateOne({ _id: 'one-0' }, { $set: { v: -1 } })
  await c.deleteOne({ _id: 'one-1' })
  acked.delete('one-1')
  // Writes still in flight when the process dies: only the acknowledged ones must survive.
  const inflight = Array.from({ length: 200 }, (_, i) => c.insertOne({ _id: `race-${i}`, v: 5000 + i }).then(() => { acked.add(`race-${i}`) }, () => {}))
  await Promise.race([Promise.all(inflight), new Promise((resolve) => setTimeout(resolve, 30))])
  const snapshot = new Set(acked)
  proc.kill('SIGKILL')
  await once(proc, 'exit')
  await client.close(true)

  const store = await startEmbeddedStore({ dataDir, port: 0 })
  const again = await MongoClient.connect(store.uri)
  const back = again.db('crash').collection<{ _id: string; v: number }>('acks')
  const ids = new Set((await back.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id))
  const missing = [...snapshot].filter((id) => !ids.has(id))
  t.same(missing, [], `all ${snapshot.size} acknowledged writes are back`)
  t.notOk(ids.has('one-1'), 'acknowledged delete stays deleted')
  t.equal((await back.findOne({ _id: 'one-0' }))?.v, -1, 'acknowledged update is back')
  t.same((await back.listIndexes().toArray()).map((i) => i.name), ['_id_', 'v_1'], 'indexes are back')
  const ingested = await back.findOne({ _id: 'ingest-7' }, { promoteLongs: false, promoteValues: false }) as Record<string, unknown> | null
  t.ok(ingested !== null && ingested.when instanceof Date && ingested.when.getTime() === Date.parse('2025-01-02T03:04:05.678Z'))
  t.ok(ingested?.big instanceof Long && ingested.big.toString() === '9007199254740993')
  t.ok(ingested?.ratio instanceof Double && ingested.ratio.value === 0.25)
  t.same(((await back.findOne({ _id: 'ingest-8' })) as Record<string, unknown> | null)?.nested, { a: [1, 'x', null] })
  await t.rejects(back.insertOne({ _id: 'dup', v: 3 }), { code: 11000 }, 'unique index is enforced after recovery')
  // Closed in the test body: tap removes t.testdir() before teardowns, and the store may still be compacting.
  await again.close()
  await store.close()
})

t.test('restart compacts the journal into a snapshot and reads it back', async (t) => {
  const dataDir = t.testdir()
  const first = await startEmbeddedStore({ dataDir, port: 0 })
  let client = await MongoClient.connect(first.uri)
  await client.db('d').collection('c').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, sq: i * i })) as never[])
  await client.close(); await first.close()

  const second = await startEmbeddedStore({ dataDir, port: 0 })
  client = await MongoClient.connect(second.uri)
  await client.db('d').collection('c').updateOne({ _id: 5 } as never, { $set: { sq: 'five' } })
  await client.db('d').collection('c').deleteOne({ _id: 6 } as never)
  await client.close(); await second.close()
  const files = await readdir(dataDir)
  t.ok(files.some((f) => f.startsWith('snapshot-')), 'a snapshot was written')
  t.notOk(files.includes('store.lock') || files.includes('store.json'), 'lock and info files are removed on close')

  const third = await startEmbeddedStore({ dataDir, port: 0 })
  client = await MongoClient.connect(third.uri)
  const c = client.db('d').collection('c')
  t.equal(await c.countDocuments(), 99)
  t.equal((await c.findOne({ _id: 5 } as never))?.sq, 'five')
  t.equal((await c.findOne({ _id: 9 } as never))?.sq, 81)
  await client.close()
  await third.close()
})

t.test('one process owns a data directory', async (t) => {
  const dataDir = t.testdir()
  const store = await startEmbeddedStore({ dataDir, port: 0 })
  t.teardown(() => store.close())
  await t.rejects(startEmbeddedStore({ dataDir, port: 0 }), { code: 'ATL_STORE_LOCKED', message: /in use by another store process/ })
  t.same(await readRunningStore(dataDir), { pid: process.pid, port: store.port })
  await store.close()
  t.equal(await readRunningStore(dataDir), null)
  const next = await startEmbeddedStore({ dataDir, port: 0 })
  await next.close()
})

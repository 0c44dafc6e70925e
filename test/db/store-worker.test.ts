// The store runs in a worker thread by default: its log lines reach the caller's pino logger, its coded errors
// are re-thrown in the caller, close() waits for the worker; `inline: true` keeps it on the caller's thread.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { MongoClient } from 'mongodb'
import { readRunningStore, startEmbeddedStore } from '../../src/db/embedded/index.js'

function capturingLogger () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  return { lines, logger: pino({ level: 'info' }, stream) }
}

t.test('worker log lines arrive at the caller logger with level, object and message', async (t) => {
  const { lines, logger } = capturingLogger()
  const store = await startEmbeddedStore({ dataDir: t.testdir(), port: 0, logger })
  try {
    // 16-byte header with an opcode the store does not speak: logged as a warning, connection closed.
    const socket = net.connect(store.port, '127.0.0.1')
    await once(socket, 'connect')
    const header = Buffer.alloc(16)
    header.writeInt32LE(16, 0)
    header.writeInt32LE(1, 4)
    header.writeInt32LE(4242, 12)
    socket.end(header)
    socket.resume()
    await once(socket, 'close')
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    const line = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('could not parse a wire message'))
    t.ok(line, 'the warning reached the caller logger')
    t.equal(line?.level, 40)
    t.equal(line?.pid, process.pid, 'logged by the caller process')
    t.type((line?.err as { message?: unknown } | undefined)?.message, 'string', 'the error object came along')
    t.notOk(lines.some((l) => l.level === 20), 'debug lines are not forwarded to an info logger')
  } finally {
    await store.close()
  }

})

t.test('the lock error from the worker keeps its code; close() releases it', async (t) => {
  const dataDir = t.testdir()
  const store = await startEmbeddedStore({ dataDir, port: 0 })
  await t.rejects(startEmbeddedStore({ dataDir, port: 0 }), { code: 'ATL_STORE_LOCKED', message: /in use by another store process/ })
  await t.rejects(startEmbeddedStore({ dataDir, port: 0, inline: true }), { code: 'ATL_STORE_LOCKED' })
  await store.close()
  t.equal(await readRunningStore(dataDir), null)
  await t.resolves(store.close(), 'close is idempotent')
})

t.test('inline: true serves the same data directory on the caller thread', async (t) => {
  const dataDir = t.testdir()
  const first = await startEmbeddedStore({ dataDir, port: 0 })
  let client = await MongoClient.connect(first.uri)
  await client.db('w').collection('c').insertOne({ _id: 'from-worker' } as never)
  await client.close()
  await first.close()
  const inline = await startEmbeddedStore({ dataDir, port: 0, inline: true })
  try {
    t.same(await readRunningStore(dataDir), { pid: process.pid, port: inline.port })
    client = await MongoClient.connect(inline.uri)
    t.same(await client.db('w').collection('c').find().toArray(), [{ _id: 'from-worker' }])
    await client.close()
  } finally {
    await inline.close()
  }
})

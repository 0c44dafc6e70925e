// Administrative commands and concurrency: hello, ping, buildInfo, listCollections, drop, dropDatabase, many clients.
import t from 'tap'
import { BSON, MongoClient } from 'mongodb'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { startEmbeddedStore } from '../../src/db/embedded/index.js'

t.test('hello, ping, buildInfo, listCollections, create, drop, dropDatabase', async (t) => {
  const { db, client } = await startTestMongo(t)
  const hello = await db.admin().command({ hello: 1 })
  t.equal(hello.isWritablePrimary, true)
  t.ok(hello.maxWireVersion >= 9)
  t.ok(typeof hello.logicalSessionTimeoutMinutes === 'number')
  t.equal((await db.command({ ping: 1 })).ok, 1)
  const info = await db.admin().buildInfo()
  t.match(info.version, /^\d+\.\d+/)

  await db.createCollection('alpha')
  await db.collection('beta').insertOne({ x: 1 })
  const names = (await db.listCollections().toArray()).map((c) => c.name).sort()
  t.same(names, ['alpha', 'beta'])
  t.same((await db.listCollections({ name: 'beta' }, { nameOnly: true }).toArray()).map((c) => c.name), ['beta'])
  t.equal(await db.collection('beta').drop(), true)
  t.same((await db.listCollections().toArray()).map((c) => c.name), ['alpha'])
  t.equal(await db.collection('beta').countDocuments(), 0)
  await db.collection('gamma').insertOne({ y: 1 })
  t.equal(await db.dropDatabase(), true)
  t.same(await db.listCollections().toArray(), [])
  await t.rejects(db.command({ noSuchCommand: 1 }), { code: 59 })
  const session = client.startSession()
  await db.collection('s').insertOne({ z: 1 }, { session })
  await session.endSession()
  t.equal(await db.collection('s').countDocuments(), 1)
})

t.test('serverStatus reports opLatencies: commands served per class and their summed latency in microseconds', async (t) => {
  const { db } = await startTestMongo(t)
  const latencies = async () => (await db.admin().command({ serverStatus: 1 })).opLatencies
  const count = (v: unknown): number => Number(v)
  const before = await latencies()
  for (const k of ['reads', 'writes', 'commands']) {
    t.ok(count(before[k].ops) >= 0 && count(before[k].latency) >= 0, `${k} has ops and latency`)
  }
  const c = db.collection<{ _id: number | string, n?: number }>('latency')
  await c.bulkWrite(Array.from({ length: 2000 }, (_, i) => ({ updateOne: { filter: { _id: i }, update: { $setOnInsert: { n: i } }, upsert: true } })), { ordered: false })
  await c.insertOne({ _id: 'one' })
  await c.find({ n: { $gte: 10 } }).toArray()
  const after = await latencies()
  // One bulk update command and one insert (a real server may count other internal writes too).
  t.ok(count(after.writes.ops) - count(before.writes.ops) >= 2, 'two write commands counted')
  t.ok(count(after.writes.latency) > count(before.writes.latency), 'write latency grew')
  t.ok(count(after.reads.ops) - count(before.reads.ops) >= 1, 'the find counted as a read')
  // Microseconds, not milliseconds or nanoseconds: 2,000 upserts take more than 100 µs and less than a minute.
  const writeMicros = count(after.writes.latency) - count(before.writes.latency)
  t.ok(writeMicros > 100 && writeMicros < 60_000_000, `plausible microseconds (${writeMicros})`)
})

t.test('concurrent clients see each other\'s writes and unique keys hold under contention', async (t) => {
  const { db, uri, dbName } = await startTestMongo(t)
  const clients = await Promise.all(Array.from({ length: 4 }, () => MongoClient.connect(uri, { maxPoolSize: 5 })))
  t.teardown(() => Promise.all(clients.map((c) => c.close())))
  await db.collection('shared').createIndex({ key: 1 }, { unique: true })
  const results = await Promise.allSettled(clients.flatMap((c, ci) => Array.from({ length: 25 }, (_, i) =>
    c.db(dbName).collection('shared').insertOne({ key: i, by: ci }))))
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 25, 'exactly one insert per key wins')
  t.equal(results.filter((r) => r.status === 'rejected' && (r.reason as { code?: number }).code === 11000).length, 75)
  await Promise.all(clients.map((c) => Promise.all(Array.from({ length: 20 }, () =>
    c.db(dbName).collection('counter').updateOne({ _id: 'n' } as never, { $inc: { v: 1 } }, { upsert: true })))))
  t.equal((await db.collection('counter').findOne({ _id: 'n' } as never))?.v, 80, 'no lost increments')
  const reads = await Promise.all(clients.map((c) => c.db(dbName).collection('shared').countDocuments()))
  t.same(reads, [25, 25, 25, 25])
})

/** An OP_MSG `update` (or `insert`) whose statements travel as a document sequence (kind 1), given as raw bytes. */
function updateMessage (requestId: number, coll: string, statements: Buffer[], command: 'update' | 'insert' = 'update'): Buffer {
  const body = BSON.serialize({ [command]: coll, ordered: false, $db: 'seq' })
  const name = Buffer.from(command === 'update' ? 'updates\0' : 'documents\0')
  const sequence = Buffer.alloc(5)
  sequence[0] = 1
  sequence.writeInt32LE(4 + name.length + statements.reduce((n, b) => n + b.length, 0), 1)
  const msg = Buffer.concat([Buffer.alloc(20), Buffer.from([0]), body, sequence, name, ...statements])
  msg.writeInt32LE(msg.length, 0); msg.writeInt32LE(requestId, 4); msg.writeInt32LE(2013, 12)
  return msg
}

/** Sends one message on a fresh socket; resolves with the reply's body, or null when the store closes the socket. */
async function exchange (port: number, msg: Buffer): Promise<Record<string, unknown> | null> {
  const sock = connect(port, '127.0.0.1')
  await once(sock, 'connect')
  sock.write(msg)
  const chunks: Buffer[] = []
  return await new Promise((resolve) => {
    sock.on('data', (c: Buffer) => {
      chunks.push(c)
      const all = Buffer.concat(chunks)
      if (all.length >= 4 && all.length >= all.readInt32LE(0)) { sock.destroy(); resolve(BSON.deserialize(all.subarray(21))) }
    })
    sock.on('close', () => resolve(null))
  })
}

t.test('embedded store: an update statement that is not valid BSON fails alone; one that overruns its section closes the connection', async (t) => {
  const store = await startEmbeddedStore({ dataDir: t.testdir(), port: 0 })
  t.teardown(() => store.close())
  const good = (id: string): Buffer => Buffer.from(BSON.serialize({ q: { _id: id }, u: { $setOnInsert: { n: id } }, upsert: true }))
  // A well-framed document whose only element has an unknown type (0x99).
  const garbage = Buffer.from([12, 0, 0, 0, 0x99, 0x71, 0, 1, 2, 3, 4, 0])
  const reply = await exchange(store.port, updateMessage(1, 'mixed', [good('a'), garbage, good('b')]))
  t.equal(reply?.ok, 1)
  t.equal(reply?.n, 2, 'the two valid statements were applied')
  const errors = reply?.writeErrors as Array<{ index: number, code: number, errmsg: string }>
  t.equal(errors.length, 1)
  t.equal(errors[0]?.index, 1)
  t.equal(errors[0]?.code, 22)
  t.match(errors[0]?.errmsg, /not valid BSON/)

  // A length of 0 (or one past the section's end) cannot be skipped over: the connection is closed, not spun on.
  const zero = Buffer.alloc(5)
  t.equal(await exchange(store.port, updateMessage(2, 'mixed', [good('c'), zero])), null)
  const long = good('d'); long.writeInt32LE(long.length + 50, 0)
  t.equal(await exchange(store.port, updateMessage(3, 'mixed', [long])), null)
  t.equal(await exchange(store.port, updateMessage(4, 'mixed', [Buffer.from(BSON.serialize({ _id: 'e' })), zero], 'insert')), null)
  // A section whose own size is negative: the connection is closed too (the parser used to go round forever).
  const badSection = updateMessage(5, 'mixed', [good('f')])
  badSection.writeInt32LE(-1, 21 + badSection.readInt32LE(21) + 1)
  t.equal(await exchange(store.port, badSection), null)

  // Inside a statement, a $setOnInsert whose length is negative fails that statement alone.
  const negative = good('g')
  const at = negative.indexOf(Buffer.from('$setOnInsert\0')) + '$setOnInsert'.length + 1
  negative.writeInt32LE(-7, at)
  const r2 = await exchange(store.port, updateMessage(6, 'mixed', [negative, good('h')]))
  t.equal(r2?.n, 1, 'the valid statement was applied')
  t.same((r2?.writeErrors as Array<{ index: number, code: number }>).map((e) => [e.index, e.code]), [[0, 22]])

  const client = await MongoClient.connect(store.uri)
  t.teardown(() => client.close())
  t.same((await client.db('seq').collection('mixed').find().sort({ _id: 1 }).toArray()).map((d) => d._id), ['a', 'b', 'h'], 'nothing from the closed connections was written')
})

t.test('embedded store: a malformed wire message closes that connection; the store keeps serving', async (t) => {
  const store = await startEmbeddedStore({ dataDir: t.testdir(), port: 0 })
  const client = await MongoClient.connect(store.uri)
  const sock = connect(store.port, '127.0.0.1')
  await once(sock, 'connect')
  const bad = Buffer.alloc(26)
  bad.writeInt32LE(26, 0); bad.writeInt32LE(1, 4); bad.writeInt32LE(0, 8); bad.writeInt32LE(2013, 12); bad.writeUInt32LE(0, 16); bad[20] = 9
  sock.write(bad)
  await once(sock, 'close')
  t.pass('connection closed')
  t.equal((await client.db('x').command({ ping: 1 })).ok, 1)
  await client.close()
  await store.close()
})

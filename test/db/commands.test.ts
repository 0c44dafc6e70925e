// Administrative commands and concurrency: hello, ping, buildInfo, listCollections, drop, dropDatabase, many clients.
import t from 'tap'
import { MongoClient } from 'mongodb'
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

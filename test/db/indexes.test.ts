// Indexes: unique enforcement (E11000 shapes), listing and dropping, compound indexes used for ranges and top-N.
import t from 'tap'
import { MongoServerError } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { indexUse } from '../../src/db/embedded/explain-plan.js'

t.test('unique indexes: insert, upsert, createIndex over duplicates, missing field is null', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('admins')
  await c.createIndex({ username: 1 }, { unique: true, name: 'username_unique' })
  await c.insertOne({ username: 'alice' })
  const err = await c.insertOne({ username: 'alice' }).catch((e: unknown) => e)
  t.ok(err instanceof MongoServerError)
  const e = err as MongoServerError
  t.equal(e.code, 11000)
  t.match(e.message, /E11000 duplicate key error collection: .*admins index: username_unique dup key/)
  t.same(e.keyPattern, { username: 1 })
  t.same(e.keyValue, { username: 'alice' })

  await c.insertOne({ other: 1 })
  const nullDup = await c.insertOne({ other: 2 }).catch((x: unknown) => x) as MongoServerError
  t.equal(nullDup.code, 11000, 'a second document without the field collides on null')
  t.same(nullDup.keyValue, { username: null })

  await c.insertOne({ username: 'bob' })
  const upsertDup = await c.updateOne({ username: 'carol' }, { $set: { username: 'bob' } }, { upsert: true }).catch((x: unknown) => x) as MongoServerError
  t.equal(upsertDup.code, 11000, 'upsert that would duplicate fails')
  const updDup = await c.updateOne({ username: 'alice' }, { $set: { username: 'bob' } }).catch((x: unknown) => x) as MongoServerError
  t.equal(updDup.code, 11000, 'update that would duplicate fails')
  t.equal(await c.countDocuments({ username: 'alice' }), 1, 'failed update left the document alone')

  const d = db.collection('dups')
  await d.insertMany([{ k: 1 }, { k: 1 }])
  const ci = await d.createIndex({ k: 1 }, { unique: true }).catch((x: unknown) => x) as MongoServerError
  t.equal(ci.code, 11000, 'createIndex over existing duplicates fails')
  t.same((await d.listIndexes().toArray()).map((i) => i.name), ['_id_'], 'and leaves no index behind')

  const compound = db.collection('compound')
  await compound.createIndex({ site: 1, source_id: 1 }, { unique: true })
  await compound.insertOne({ site: 'a', source_id: 1 })
  await compound.insertOne({ site: 'b', source_id: 1 })
  const ce = await compound.insertOne({ site: 'a', source_id: 1 }).catch((x: unknown) => x) as MongoServerError
  t.equal(ce.code, 11000)
  t.same(ce.keyValue, { site: 'a', source_id: 1 })
})

t.test('listIndexes, createIndexes idempotence, conflicts, dropIndexes', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('ix')
  await c.insertOne({ a: 1, b: 2, when: new Date() })
  t.equal(await c.createIndex({ a: 1, b: -1 }), 'a_1_b_-1')
  t.equal(await c.createIndex({ a: 1, b: -1 }), 'a_1_b_-1', 'same index twice is fine')
  await c.createIndex({ when: 1 }, { expireAfterSeconds: 3600 })
  const list = await c.listIndexes().toArray()
  t.same(list.map((i) => i.name), ['_id_', 'a_1_b_-1', 'when_1'])
  t.same(list[1]?.key, { a: 1, b: -1 })
  t.equal(list[2]?.expireAfterSeconds, 3600)
  t.ok(await c.indexExists('when_1'))
  const conflict = await c.createIndex({ b: 1 }, { name: 'when_1' }).catch((x: unknown) => x) as MongoServerError
  t.equal(conflict.code, 86)
  await c.dropIndex('a_1_b_-1')
  t.same((await c.listIndexes().toArray()).map((i) => i.name), ['_id_', 'when_1'])
  const missing = await c.dropIndex('nope').catch((x: unknown) => x) as MongoServerError
  t.equal(missing.code, 27)
  await c.dropIndexes()
  t.same((await c.listIndexes().toArray()).map((i) => i.name), ['_id_'])
})

t.test('compound indexes serve equality, ranges and sort+limit; explain says so', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('events')
  const base = Date.UTC(2025, 0, 1)
  await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `e${i}`, site: i % 3 === 0 ? 's1' : 's2', actor: `u${i % 7}`, occurred_at: new Date(base + i * 60_000) })) as never[])
  await c.createIndex({ site: 1, occurred_at: -1 })
  await c.createIndex({ occurred_at: 1 })

  const q = { site: 's1', occurred_at: { $gte: new Date(base + 30 * 60_000), $lt: new Date(base + 90 * 60_000) } }
  const got = await c.find(q).sort({ occurred_at: -1 }).toArray()
  t.same(got.map((d) => d._id), Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 === 0 && i >= 30 && i < 90).reverse().map((i) => `e${i}`))
  const ex = await c.find(q).sort({ occurred_at: -1 }).explain('executionStats')
  const use = indexUse(ex)
  t.ok(use.usedIndex); t.same(use.indexNames, ['site_1_occurred_at_-1']); t.notOk(use.collectionScan)

  const top = await c.find({ site: 's2' }).sort({ occurred_at: -1 }).limit(5).toArray()
  t.same(top.map((d) => d._id), ['e299', 'e298', 'e296', 'e295', 'e293'])
  const topEx = await c.find({ site: 's2' }).sort({ occurred_at: -1 }).limit(5).explain('executionStats')
  t.ok(indexUse(topEx).usedIndex)
  t.notMatch(JSON.stringify(topEx.queryPlanner.winningPlan), /"SORT"/, 'no in-memory sort for a top-N the index serves')

  const asc = await c.find({ occurred_at: { $gt: new Date(base + 295 * 60_000) } }).sort({ occurred_at: 1 }).toArray()
  t.same(asc.map((d) => d._id), ['e296', 'e297', 'e298', 'e299'])

  const scan = await c.find({ actor: 'u3' }).explain()
  t.ok(indexUse(scan).collectionScan); t.notOk(indexUse(scan).usedIndex)

  const aggEx = await c.aggregate([{ $match: { occurred_at: { $gte: new Date(base) } } }, { $group: { _id: '$actor', n: { $sum: 1 } } }]).explain()
  t.ok(indexUse(aggEx).usedIndex, 'aggregate $match uses the index')
  t.ok(indexUse(await c.find({ _id: 'e1' } as never).explain()).usedIndex, '_id lookups use the _id index')
})

t.test('collation strength 2 sorts case-insensitively', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('names')
  await c.insertMany([{ n: 'bob' }, { n: 'Alice' }, { n: 'carol' }, { n: 'Bea' }])
  const sorted = await c.find({}, { collation: { locale: 'en', strength: 2 } }).sort({ n: 1 }).toArray()
  t.same(sorted.map((d) => d.n), ['Alice', 'Bea', 'bob', 'carol'])
  const binary = await c.find({}).sort({ n: 1 }).toArray()
  t.same(binary.map((d) => d.n), ['Alice', 'Bea', 'bob', 'carol'].sort())
})

t.test('descending scans over an ascending index, and multikey (array) indexes', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('scan')
  await c.createIndex({ at: 1 })
  await c.createIndex({ tags: 1 })
  await c.insertMany(Array.from({ length: 1500 }, (_, i) => ({ _id: i, at: i * 10, tags: i % 100 === 0 ? ['hundred', 'round'] : [`t${i % 7}`] })) as never[])
  const newest = await c.find({ at: { $gte: 500, $lt: 14_000 } }).sort({ at: -1 }).limit(3).toArray()
  t.same(newest.map((d) => d._id), [1399, 1398, 1397], 'backward range scan with an upper bound')
  const window = await c.find({ at: { $gt: 100, $lte: 140 } }).sort({ at: -1 }).toArray()
  t.same(window.map((d) => d._id), [14, 13, 12, 11])
  const oldest = await c.find({ at: { $lt: 30 } }).sort({ at: -1 }).toArray()
  t.same(oldest.map((d) => d._id), [2, 1, 0])
  const desc = await c.find({}).sort({ at: -1 }).limit(2).toArray()
  t.same(desc.map((d) => d._id), [1499, 1498])
  t.ok(indexUse(await c.find({ at: { $gte: 500 } }).sort({ at: -1 }).limit(3).explain()).usedIndex)

  const hundreds = await c.find({ tags: 'hundred' }).sort({ _id: 1 }).toArray()
  t.same(hundreds.map((d) => d._id), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400])
  t.equal(await c.countDocuments({ tags: { $in: ['hundred', 'round'] } }), 15, 'a document with two matching elements counts once')
  t.ok(indexUse(await c.find({ tags: 'round' }).explain()).usedIndex)
  await c.updateOne({ _id: 100 } as never, { $set: { tags: ['t1'] } })
  t.equal(await c.countDocuments({ tags: 'hundred' }), 14, 'index entries follow updates')
  await c.deleteOne({ _id: 200 } as never)
  t.equal(await c.countDocuments({ tags: 'round' }), 13, 'and deletes')
  const u = db.collection('uniqArr')
  await u.createIndex({ emails: 1 }, { unique: true })
  await u.insertOne({ emails: ['a', 'b'] })
  await t.rejects(u.insertOne({ emails: ['c', 'b'] }), { code: 11000 }, 'unique across array elements')
  await u.insertOne({ emails: ['d', 'd'] })
})

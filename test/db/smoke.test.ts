import t from 'tap'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

t.test('smoke', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('x')
  await c.insertMany([{ _id: 1 as never, a: 1 }, { a: 2 }, { a: 3 }])
  t.equal(await c.countDocuments(), 3)
  t.equal((await c.find({ a: { $gte: 2 } }).sort({ a: -1 }).toArray())[0]?.a, 3)
  await c.createIndex({ a: 1 }, { unique: true })
  await t.rejects(c.insertOne({ a: 1 }), { code: 11000 })
  const r = await c.bulkWrite([{ updateOne: { filter: { _id: 'k' as never }, update: { $setOnInsert: { a: 9 } }, upsert: true } }], { ordered: false })
  t.equal(r.upsertedCount, 1)
  t.same(await c.aggregate([{ $group: { _id: null, s: { $sum: '$a' } } }]).toArray(), [{ _id: null, s: 15 }])
})

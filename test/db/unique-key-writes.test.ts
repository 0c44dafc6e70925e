// Writes matched by a unique key (the embedded store answers these with one index lookup) keep MongoDB's query
// semantics: numbers of every width are equal, an array matches by element, and a sparse or partial unique index
// (which may not hold every document) never hides a match.
import t from 'tap'
import { Int32, Long, ObjectId } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

/** Documents with string _ids and any other fields. */
type Loose = { _id: string } & Record<string, unknown>

t.test('upserts by a compound unique key: inserted once, then matched without changes', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('uk_upserts')
  await c.createIndex({ site: 1, rid: 1 }, { unique: true })
  const ops = Array.from({ length: 300 }, (_, i) => ({
    updateOne: {
      filter: { site: i % 2 === 0 ? 'a.example' : 'b.example', rid: String(i) },
      update: { $setOnInsert: { site: i % 2 === 0 ? 'a.example' : 'b.example', rid: String(i), n: i, at: new Date(1_700_000_000_000 + i) } },
      upsert: true
    }
  }))
  const first = await c.bulkWrite(ops, { ordered: false })
  t.equal(first.upsertedCount, 300)
  const stored = await c.find({}, { sort: { n: 1 } }).toArray()
  t.equal(stored.length, 300)
  t.ok(stored.every((d) => d._id instanceof ObjectId), 'each upsert got a generated ObjectId')
  t.same(Object.keys(stored[0] ?? {}), ['_id', 'site', 'rid', 'n', 'at'], '_id first, then the fields in their order')
  const single = await c.findOneAndUpdate(
    { site: 'c.example', rid: 'one' },
    { $setOnInsert: { site: 'c.example', rid: 'one', n: -1, at: new Date(1_700_000_000_000) } },
    { upsert: true, returnDocument: 'after' }
  )
  t.same(Object.keys(single ?? {}), Object.keys(stored[0] ?? {}), 'a single upsert builds the same document shape')
  await c.deleteOne({ site: 'c.example', rid: 'one' })
  t.same(stored[7], { _id: stored[7]?._id, site: 'b.example', rid: '7', n: 7, at: new Date(1_700_000_000_007) })

  const again = await c.bulkWrite(ops, { ordered: false })
  t.equal(again.upsertedCount, 0)
  t.equal(again.matchedCount, 300)
  t.equal(again.modifiedCount, 0)
  t.same(await c.find({}, { sort: { n: 1 } }).toArray(), stored, 'nothing changed on the second pass')

  const set = await c.updateOne({ rid: '7', site: 'b.example' }, { $set: { seen: true } }, { upsert: true })
  t.equal(set.matchedCount, 1, 'filter fields in another order find the same document')
  t.equal(set.upsertedCount, 0)
  t.equal((await c.findOne({ rid: '7' }))?.seen, true)
  t.equal(await c.countDocuments(), 300)
})

t.test('a unique-key match compares numbers across widths and arrays by element', async (t) => {
  const { db } = await startTestMongo(t)
  const nums = db.collection<Loose>('uk_numbers')
  await nums.createIndex({ n: 1 }, { unique: true })
  await nums.insertMany([{ _id: 'long', n: Long.fromNumber(7) }, { _id: 'int', n: new Int32(8) }, { _id: 'double', n: 9.5 }])
  const r1 = await nums.updateOne({ n: 7 }, { $set: { hit: 1 } }, { upsert: true })
  const r2 = await nums.updateOne({ n: Long.fromNumber(8) }, { $set: { hit: 2 } }, { upsert: true })
  const r3 = await nums.updateOne({ n: 9.5 }, { $set: { hit: 3 } }, { upsert: true })
  t.same([r1.matchedCount, r2.matchedCount, r3.matchedCount], [1, 1, 1])
  t.same([r1.upsertedCount, r2.upsertedCount, r3.upsertedCount], [0, 0, 0])
  t.same((await nums.find({}, { sort: { _id: 1 } }).toArray()).map((d) => [d._id, d.hit]), [['double', 3], ['int', 2], ['long', 1]])
  t.equal((await nums.deleteOne({ n: new Int32(7) })).deletedCount, 1, 'delete by the same key')

  const tags = db.collection<Loose>('uk_tags')
  await tags.createIndex({ tag: 1 }, { unique: true })
  await tags.insertOne({ _id: 'multi', tag: ['red', 'blue'] })
  const r4 = await tags.updateOne({ tag: 'blue' }, { $set: { hit: true } }, { upsert: true })
  t.equal(r4.matchedCount, 1, 'an array field matches by element')
  t.equal(r4.upsertedCount, 0)
  t.equal(await tags.countDocuments(), 1)
})

t.test('sparse and partial unique indexes never hide a match', async (t) => {
  const { db } = await startTestMongo(t)
  const partial = db.collection<Loose>('uk_partial')
  await partial.createIndex({ a: 1 }, { unique: true, partialFilterExpression: { kind: 'indexed' } })
  await partial.insertMany([{ _id: 'outside', a: 1 }, { _id: 'inside', a: 2, kind: 'indexed' }])
  const r1 = await partial.updateOne({ a: 1 }, { $set: { hit: true } }, { upsert: true })
  t.equal(r1.matchedCount, 1, 'a document outside the partial index is still found')
  t.equal(r1.upsertedCount, 0)

  const sparse = db.collection<Loose>('uk_sparse')
  await sparse.createIndex({ a: 1, b: 1 }, { unique: true, sparse: true })
  await sparse.insertOne({ _id: 'one', a: 1, b: 2 })
  const r2 = await sparse.updateOne({ a: 1, b: 2 }, { $set: { hit: true } }, { upsert: true })
  t.equal(r2.matchedCount, 1)
  t.equal(r2.upsertedCount, 0)

  const wider = db.collection<Loose>('uk_wider')
  await wider.createIndex({ a: 1 }, { unique: true })
  await wider.insertOne({ _id: 'x', a: 1, b: 1 })
  const r3 = await wider.updateOne({ a: 1, b: 2 }, { $set: { hit: true } })
  t.equal(r3.matchedCount, 0, 'a filter wider than the index still checks every field')
  const r4 = await wider.updateOne({ a: 1, b: 2 }, { $set: { hit: true } }, { upsert: true }).catch((err: unknown) => err)
  t.match(r4, { code: 11000 }, 'and an upsert that would repeat the unique key is refused')
  t.equal(await wider.countDocuments(), 1)
})

t.test('update statements with arrayFilters, several operators or a pipeline keep their meaning', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id: string, xs?: number[], n?: number, tag?: string, never?: boolean, total?: number }>('uk_statements')
  await c.insertOne({ _id: 'd', xs: [1, 5, 9], n: 1 })
  await c.updateOne({ _id: 'd' }, { $set: { 'xs.$[big]': 0 } }, { arrayFilters: [{ big: { $gte: 5 } }] })
  await c.updateOne({ _id: 'd' }, { $inc: { n: 2 }, $set: { tag: 'x' }, $setOnInsert: { never: true } }, { upsert: true })
  await c.updateOne({ _id: 'd' }, [{ $set: { total: { $add: ['$n', 10] } } }])
  await c.updateMany({ n: 3 }, { $unset: { tag: '' } })
  t.same(await c.findOne({ _id: 'd' }), { _id: 'd', xs: [1, 0, 0], n: 3, total: 13 })
})

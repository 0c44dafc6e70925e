// CRUD through the official driver: filters, sort, projection, skip/limit, cursors, updates, deletes, bulk writes.
import t from 'tap'
import { MongoBulkWriteError, ObjectId } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

t.test('insert and find with filter, sort, projection, skip and limit', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id?: unknown; n: number; tag: string; nested?: { x: number; y: number } }>('items')
  const docs = Array.from({ length: 20 }, (_, i) => ({ n: i, tag: i % 2 === 0 ? 'even' : 'odd', nested: { x: i, y: -i } }))
  const ins = await c.insertMany(docs)
  t.equal(ins.insertedCount, 20)
  t.ok(ins.insertedIds[0] instanceof ObjectId, 'driver-generated ObjectId ids')

  const evens = await c.find({ tag: 'even', n: { $gte: 10 } }).sort({ n: -1 }).toArray()
  t.same(evens.map((d) => d.n), [18, 16, 14, 12, 10])

  const page = await c.find({}, { projection: { _id: 0, n: 1 } }).sort({ n: 1 }).skip(3).limit(4).toArray()
  t.same(page, [{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }])

  const excl = await c.findOne({ n: 7 }, { projection: { nested: 0, _id: 0 } })
  t.same(excl, { n: 7, tag: 'odd' })
  const dotted = await c.findOne({ 'nested.x': 5 }, { projection: { 'nested.y': 1, _id: 0 } })
  t.same(dotted, { nested: { y: -5 } })

  t.same((await c.find({ n: { $in: [1, 3, 99] } }).sort({ n: 1 }).toArray()).map((d) => d.n), [1, 3])
  t.same((await c.find({ $or: [{ n: 0 }, { n: 19 }] }).sort({ n: 1 }).toArray()).map((d) => d.n), [0, 19])
  t.equal(await c.countDocuments({ tag: 'odd' }), 10)
  t.equal(await c.countDocuments({ tag: 'odd' }, { skip: 2, limit: 5 }), 5)
  t.equal(await c.estimatedDocumentCount(), 20)
  t.same((await c.distinct('tag')).sort(), ['even', 'odd'])
  t.same(await c.distinct('n', { n: { $lt: 3 } }), [0, 1, 2])
})

t.test('cursors over several batches, getMore and killCursors', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('many')
  await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })))
  const all = await c.find({}, { batchSize: 30 }).sort({ i: 1 }).toArray()
  t.equal(all.length, 250)
  t.same(all.map((d) => d.i), Array.from({ length: 250 }, (_, i) => i))

  const cursor = c.find({}, { batchSize: 10 })
  let seen = 0
  for await (const _ of cursor) { if (++seen === 15) break }
  t.equal(seen, 15, 'breaking out closes the cursor (killCursors)')

  const agg = await c.aggregate([{ $match: { i: { $gte: 100 } } }], { batchSize: 7 }).toArray()
  t.equal(agg.length, 150)
  const ids = new Set(all.map((d) => String(d._id)))
  t.equal(ids.size, 250)
})

t.test('updates: $set, $inc, $unset, upsert with $setOnInsert, multi, replace', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id: string; a?: number; b?: string; c?: number; d?: { e: number }; list?: number[] }>('u')
  await c.insertMany([{ _id: 'x', a: 1, b: 'one' }, { _id: 'y', a: 2, b: 'two' }])
  const r1 = await c.updateOne({ _id: 'x' }, { $set: { b: 'uno', 'd.e': 5 }, $inc: { a: 10 } })
  t.equal(r1.matchedCount, 1); t.equal(r1.modifiedCount, 1)
  t.same(await c.findOne({ _id: 'x' }), { _id: 'x', a: 11, b: 'uno', d: { e: 5 } })

  const same = await c.updateOne({ _id: 'x' }, { $set: { b: 'uno' } })
  t.equal(same.matchedCount, 1); t.equal(same.modifiedCount, 0, 'no-op update is not a modification')

  const up = await c.updateOne({ _id: 'z' }, { $setOnInsert: { a: 100 }, $set: { b: 'new' } }, { upsert: true })
  t.equal(up.upsertedCount, 1); t.equal(up.upsertedId, 'z')
  t.same(await c.findOne({ _id: 'z' }), { _id: 'z', b: 'new', a: 100 })
  const again = await c.updateOne({ _id: 'z' }, { $setOnInsert: { a: 999 } }, { upsert: true })
  t.equal(again.matchedCount, 1); t.equal(again.modifiedCount, 0); t.equal(again.upsertedCount, 0)
  t.equal((await c.findOne({ _id: 'z' }))?.a, 100, '$setOnInsert never touches an existing document')

  const many = await c.updateMany({ a: { $lt: 50 } }, { $unset: { b: '' }, $push: { list: 7 } })
  t.equal(many.matchedCount, 2); t.equal(many.modifiedCount, 2)
  t.same(await c.findOne({ _id: 'y' }), { _id: 'y', a: 2, list: [7] })

  const rep = await c.replaceOne({ _id: 'y' }, { c: 3 })
  t.equal(rep.modifiedCount, 1)
  t.same(await c.findOne({ _id: 'y' }), { _id: 'y', c: 3 })
  const repUp = await c.replaceOne({ _id: 'w' }, { c: 4 }, { upsert: true })
  t.equal(repUp.upsertedId, 'w')

  const upsertByField = await db.collection('keys').updateOne({ key: 'k1', site: 's' }, { $set: { v: 1 } }, { upsert: true })
  t.ok(upsertByField.upsertedId instanceof ObjectId)
  t.same(await db.collection('keys').findOne({}, { projection: { _id: 0 } }), { key: 'k1', site: 's', v: 1 })

  await t.rejects(c.updateOne({ _id: 'x' }, { $set: { _id: 'changed' } }), { code: 66 })
  await t.rejects(c.updateOne({ _id: 'z' }, { $inc: { b: 1 } as never }), { code: 14 })
})

t.test('findOneAndUpdate / findOneAndDelete / deletes', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id: number; v: number }>('f')
  await c.insertMany([{ _id: 1, v: 10 }, { _id: 2, v: 20 }, { _id: 3, v: 30 }])
  const before = await c.findOneAndUpdate({ v: { $gte: 15 } }, { $inc: { v: 1 } }, { sort: { v: -1 }, returnDocument: 'before' })
  t.same(before, { _id: 3, v: 30 })
  const after = await c.findOneAndUpdate({ _id: 2 }, { $inc: { v: 1 } }, { returnDocument: 'after', projection: { v: 1, _id: 0 } })
  t.same(after, { v: 21 })
  const ups = await c.findOneAndUpdate({ _id: 9 }, { $set: { v: 90 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true })
  t.same(ups.value, { _id: 9, v: 90 })
  t.equal(ups.lastErrorObject?.updatedExisting, false)
  const none = await c.findOneAndUpdate({ _id: 100 }, { $set: { v: 0 } })
  t.equal(none, null)
  const gone = await c.findOneAndDelete({ _id: 1 })
  t.same(gone, { _id: 1, v: 10 })
  t.equal((await c.deleteOne({ v: { $gt: 0 } })).deletedCount, 1)
  t.equal((await c.deleteMany({})).deletedCount, 2)
  t.equal(await c.countDocuments(), 0)
})

t.test('bulkWrite ordered and unordered: counts and error shapes', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id: string; v?: number }>('bulk')
  const ok = await c.bulkWrite([
    { insertOne: { document: { _id: 'a', v: 1 } } },
    { updateOne: { filter: { _id: 'a' }, update: { $set: { v: 2 } } } },
    { updateOne: { filter: { _id: 'b' }, update: { $setOnInsert: { v: 3 } }, upsert: true } },
    { deleteOne: { filter: { _id: 'nothing' } } },
    { replaceOne: { filter: { _id: 'a' }, replacement: { v: 5 } } }
  ])
  t.equal(ok.insertedCount, 1); t.equal(ok.matchedCount, 2); t.equal(ok.modifiedCount, 2)
  t.equal(ok.upsertedCount, 1); t.same(ok.upsertedIds, { 2: 'b' }); t.equal(ok.deletedCount, 0)

  const ordered = await c.bulkWrite([
    { insertOne: { document: { _id: 'c' } } },
    { insertOne: { document: { _id: 'a' } } },
    { insertOne: { document: { _id: 'd' } } }
  ]).catch((e: unknown) => e)
  t.ok(ordered instanceof MongoBulkWriteError)
  const oe = ordered as MongoBulkWriteError
  t.equal(oe.code, 11000)
  t.equal(oe.result.insertedCount, 1, 'ordered stops at the first error')
  t.equal(oe.writeErrors instanceof Array ? oe.writeErrors[0]?.index : (oe.writeErrors as unknown as { index: number }).index, 1)
  t.equal(await c.countDocuments({ _id: 'd' }), 0)

  const unordered = await c.bulkWrite([
    { insertOne: { document: { _id: 'a' } } },
    { insertOne: { document: { _id: 'e' } } },
    { insertOne: { document: { _id: 'b' } } },
    { insertOne: { document: { _id: 'f' } } }
  ], { ordered: false }).catch((e: unknown) => e)
  const ue = unordered as MongoBulkWriteError
  t.ok(ue instanceof MongoBulkWriteError)
  t.equal(ue.result.insertedCount, 2, 'unordered carries on past errors')
  const errs = Array.isArray(ue.writeErrors) ? ue.writeErrors : [ue.writeErrors]
  t.same(errs.map((e) => e.index).sort(), [0, 2])
  t.same(errs.map((e) => e.code), [11000, 11000])
})

t.test('writes with w:0 (moreToCome) still land', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('w0')
  await c.insertOne({ x: 1 }, { writeConcern: { w: 0 } })
  await c.insertOne({ x: 2 })
  t.equal(await c.countDocuments(), 2)
})

t.test('more update operators: $min/$max/$mul/$rename/$currentDate/$addToSet/$pull/$pop, positional and pipeline updates', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('ops')
  await c.insertOne({ _id: 'a', lo: 5, hi: 5, n: 3, old: 'x', set: [1, 2], arr: [1, 2, 3, 2], grades: [{ g: 80 }, { g: 95 }] } as never)
  await c.updateOne({ _id: 'a' } as never, { $min: { lo: 2 }, $max: { hi: 9 }, $mul: { n: 4 }, $rename: { old: 'renamed' }, $currentDate: { touched: true }, $addToSet: { set: { $each: [2, 3] } } })
  const a = await c.findOne({ _id: 'a' } as never)
  t.equal(a?.lo, 2); t.equal(a?.hi, 9); t.equal(a?.n, 12)
  t.equal(a?.renamed, 'x'); t.notOk(a !== null && 'old' in a)
  t.ok(a?.touched instanceof Date)
  t.same(a?.set, [1, 2, 3])
  await c.updateOne({ _id: 'a' } as never, { $pull: { arr: 2 } } as never)
  t.same((await c.findOne({ _id: 'a' } as never))?.arr, [1, 3], '$pull (through mingo)')
  await c.updateOne({ _id: 'a' } as never, { $pop: { arr: 1 } })
  t.same((await c.findOne({ _id: 'a' } as never))?.arr, [1])
  await c.updateOne({ _id: 'a' } as never, { $set: { 'grades.$[big].top': true } }, { arrayFilters: [{ 'big.g': { $gte: 90 } }] })
  t.same((await c.findOne({ _id: 'a' } as never))?.grades, [{ g: 80 }, { g: 95, top: true }], 'arrayFilters')
  await c.updateOne({ 'grades.g': 80 } as never, { $inc: { 'grades.$.g': 1 } })
  t.same((await c.findOne({ _id: 'a' } as never))?.grades, [{ g: 81 }, { g: 95, top: true }], 'positional $')
  await c.updateOne({ _id: 'a' } as never, [{ $set: { total: { $add: ['$lo', '$hi'] } } }])
  t.equal((await c.findOne({ _id: 'a' } as never))?.total, 11, 'pipeline-style update')
  const before = await c.findOne({ _id: 'a' } as never)
  await t.rejects(c.updateOne({ _id: 'a' } as never, { $set: { 'lo.x': 1 } }))
  t.same(await c.findOne({ _id: 'a' } as never), before, 'a failed update changes nothing')
})

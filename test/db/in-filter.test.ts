// `$in` and `$eq` filters (matched natively by the embedded store) keep MongoDB's semantics: null matches missing,
// arrays match by element, numbers of any BSON width are equal, dates and ObjectIds compare by value.
import t from 'tap'
import { Double, Int32, Long, ObjectId } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

t.test('$in and $eq over scalars, nulls, arrays and mixed numeric widths', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<{ _id: string; v?: unknown; w?: string }>('in_filter')
  const oid = new ObjectId()
  await c.insertMany([
    { _id: 'int', v: new Int32(5), w: 'a' },
    { _id: 'double', v: new Double(7.5), w: 'b' },
    { _id: 'long', v: Long.fromNumber(9), w: 'a' },
    { _id: 'date', v: new Date(Date.UTC(2026, 0, 1)), w: 'a' },
    { _id: 'oid', v: oid, w: 'b' },
    { _id: 'null', v: null, w: 'a' },
    { _id: 'missing', w: 'b' },
    { _id: 'array', v: ['x', 42, null], w: 'a' },
    { _id: 'empty', v: [], w: 'b' },
    { _id: 'string', v: 'x', w: 'b' }
  ])
  const ids = async (filter: object): Promise<string[]> => (await c.find(filter).toArray()).map((d) => d._id).sort()

  t.same(await ids({ v: { $in: [5, 9] } }), ['int', 'long'], 'numbers match across Int32, Long and double')
  t.same(await ids({ v: { $in: [new Double(5), 7.5] } }), ['double', 'int'])
  t.same(await ids({ v: { $in: [new Date(Date.UTC(2026, 0, 1)), oid] } }), ['date', 'oid'], 'dates and ObjectIds by value')
  t.same(await ids({ v: { $in: [null] } }), ['array', 'missing', 'null'], 'null matches null, missing and an array holding null')
  t.same(await ids({ v: { $in: ['x'] } }), ['array', 'string'], 'an array matches when one element is in the list')
  t.same(await ids({ v: { $in: [] } }), [], 'an empty list matches nothing')
  t.same(await ids({ v: { $in: [42, 'x'] }, w: 'a' }), ['array'], 'combined with equality on another field')
  t.same(await ids({ v: { $eq: 9 } }), ['long'])
  t.same(await ids({ v: { $eq: null } }), ['array', 'missing', 'null'])
  t.same(await ids({ _id: { $in: ['int', 'oid', 'nope'] } }), ['int', 'oid'], '_id lookups')
  t.same(await ids({ _id: { $in: ['int', 'oid'] }, w: 'b' }), ['oid'], '_id lookup still checks the other fields')
})

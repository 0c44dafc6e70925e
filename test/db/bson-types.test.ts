// BSON values survive a round trip, null differs from missing, and reads never change stored documents.
import t from 'tap'
import { Binary, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

t.test('BSON type round trips', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('types')
  const oid = new ObjectId()
  const when = new Date('2025-03-04T05:06:07.089Z')
  await c.insertOne({
    _id: oid,
    date: when,
    long: Long.fromString('9007199254740993'),
    smallLong: Long.fromNumber(5),
    int: new Int32(42),
    double: new Double(1.5),
    bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
    uuid: new Binary(Buffer.alloc(16, 7), 4),
    nul: null,
    str: 'héllo',
    bool: false,
    arr: [1, 'two', { three: 3 }],
    nested: { deep: { deeper: [new Date(0)] } }
  })
  const raw = await c.findOne({ _id: oid }, { promoteValues: false, promoteLongs: false })
  t.ok(raw !== null)
  const d = raw as Record<string, unknown>
  t.ok(d._id instanceof ObjectId && d._id.equals(oid), 'ObjectId')
  t.ok(d.date instanceof Date && d.date.getTime() === when.getTime(), 'Date to the millisecond')
  t.ok(d.long instanceof Long && d.long.toString() === '9007199254740993', 'Long beyond 2^53')
  t.ok(d.smallLong instanceof Long && d.smallLong.toNumber() === 5, 'small Long stays a Long')
  t.ok(d.int instanceof Int32 && d.int.value === 42, 'Int32')
  t.ok(d.double instanceof Double && d.double.value === 1.5, 'Double')
  t.ok(d.bin instanceof Binary && d.bin.sub_type === 0 && Buffer.from(d.bin.buffer).equals(Buffer.from([0, 1, 2, 255])), 'Binary')
  t.ok(d.uuid instanceof Binary && d.uuid.sub_type === 4, 'Binary subtype 4')
  t.equal(d.nul, null)
  t.equal(d.str, 'héllo')
  t.equal(d.bool, false)
  t.same(Object.keys(d), ['_id', 'date', 'long', 'smallLong', 'int', 'double', 'bin', 'uuid', 'nul', 'str', 'bool', 'arr', 'nested'], 'field order kept')

  t.equal((await c.find({ date: { $gte: new Date('2025-01-01'), $lt: new Date('2026-01-01') } }).toArray()).length, 1, 'Date range')
  t.equal((await c.find({ int: 42 }).toArray()).length, 1, 'Int32 matches a plain number')
  t.equal((await c.find({ double: { $gt: 1 } }).toArray()).length, 1)
  t.equal(await c.countDocuments({ _id: new ObjectId(oid.toHexString()) }), 1, 'ObjectId equality by value')
  t.ok(Decimal128 !== undefined)
})

t.test('null versus missing', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('nulls')
  await c.insertMany([{ _id: 1, v: null }, { _id: 2 }, { _id: 3, v: 0 }] as never[])
  t.same((await c.find({ v: null }).sort({ _id: 1 }).toArray()).map((d) => d._id), [1, 2], '{v: null} matches null and missing')
  t.same((await c.find({ v: { $exists: false } }).toArray()).map((d) => d._id), [2])
  t.same((await c.find({ v: { $exists: true } }).sort({ _id: 1 }).toArray()).map((d) => d._id), [1, 3])
  t.same((await c.find({ v: { $type: 'null' } }).toArray()).map((d) => d._id), [1])
  const two = await c.findOne({ _id: 2 } as never)
  t.notOk(two !== null && 'v' in two, 'missing stays missing')
  t.same((await c.find({}).sort({ v: 1, _id: 1 }).toArray()).map((d) => d._id), [1, 2, 3], 'null and missing sort before numbers')
})

t.test('reads never mutate stored documents', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection('immutable')
  const original = { _id: 'doc', a: { b: 1, c: [1, 2, 3] }, keep: 'yes', when: new Date(1000) }
  await c.insertOne(original as never)
  await c.aggregate([{ $set: { 'a.b': 99, 'a.z': 1 } }, { $unset: 'keep' }, { $addFields: { extra: 1 } }]).toArray()
  await c.aggregate([{ $project: { 'a.c': 0 } }, { $unwind: '$a.b' }]).toArray()
  await c.find({}, { projection: { a: 0 } }).toArray()
  await c.find({}, { projection: { 'a.b': 0 } }).toArray()
  await c.aggregate([{ $lookup: { from: 'immutable', localField: '_id', foreignField: '_id', as: 'self' } }, { $set: { 'self.keep': 'changed' } }]).toArray()
  await c.aggregate([{ $replaceRoot: { newRoot: '$a' } }, { $set: { b: 7 } }]).toArray()
  const fresh = await c.findOne({ _id: 'doc' } as never)
  t.same(fresh, original)
})

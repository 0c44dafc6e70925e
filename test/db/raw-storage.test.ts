// Documents stored as their BSON bytes: the upsert/insert fast paths store exactly what the decoded paths would,
// the journal and snapshots carry the bytes as they are, and replay keeps them.
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { BSON, Binary, Double, Int32, Long, ObjectId } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { Engine } from '../../src/db/embedded/engine.js'
import type { Collection } from '../../src/db/embedded/collection.js'

// String and number _ids, as the store's users write them.
interface Loose { _id?: string | number | ObjectId; [k: string]: unknown }

const RAW = { promoteValues: false, promoteLongs: false } as const

function eventFields (i: number) {
  return {
    occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 1000),
    site: 'acme.atlassian.net',
    source_record_id: String(i),
    count: new Int32(i),
    ratio: new Double(i + 0.5),
    big: Long.fromString('9007199254740993'),
    bin: new Binary(Buffer.from([i, 1, 2])),
    nothing: null,
    object: { type: 'issue', id: String(i), tags: ['a', 'b'] }
  }
}

t.test('a $setOnInsert upsert stores what findOneAndUpdate (the decoded path) stores, field order and types', async (t) => {
  const { db } = await startTestMongo(t)
  const fast = db.collection<Loose>('fast')
  const slow = db.collection<Loose>('slow')
  const shapes: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{ _id: 'no-id-in-doc' }, eventFields(1)],
    [{ _id: 'id-leads' }, { _id: 'id-leads', ...eventFields(2) }],
    [{ _id: 'id-later' }, { ...eventFields(3), _id: 'id-later' }],
    [{ _id: new ObjectId('65f0a1b2c3d4e5f601234567') }, eventFields(4)],
    [{ _id: 7 }, eventFields(5)],
    [{ site: 'acme.atlassian.net', source_record_id: '6' }, eventFields(6)],
    [{ source_record_id: 'only-in-filter' }, { site: 'x', n: 1 }],
    [{ site: 'acme.atlassian.net', extra: true }, { ...eventFields(8), site: 'overrides' }],
    [{ site: 'acme.atlassian.net', source_record_id: '9' }, { ...eventFields(9), source_record_id: new Double(9.5) }],
    [{ _id: 'filter-first', site: 'x' }, { n: 10, site: 'x' }],
    [{ _id: 'long-in-x', n: 5 }, { n: Long.fromNumber(5), m: 1 }]
  ]
  // Where to find each upserted document again (the last shapes' $setOnInsert changes filtered fields).
  const lookups = shapes.map(([f]) => f)
  lookups[7] = { extra: true }
  lookups[8] = { source_record_id: 9.5 }
  const r = await fast.bulkWrite(shapes.map(([filter, doc]) => ({ updateOne: { filter, update: { $setOnInsert: doc }, upsert: true } })), { ordered: false })
  t.equal(r.upsertedCount, shapes.length)
  for (const [i, [filter, doc]] of shapes.entries()) {
    await slow.findOneAndUpdate(filter, { $setOnInsert: doc }, { upsert: true })
    const a = await fast.findOne(lookups[i] as Record<string, unknown>, RAW)
    const b = await slow.findOne(lookups[i] as Record<string, unknown>, RAW)
    t.ok(a !== null && b !== null, `shape ${i} stored`)
    const strip = (d: Record<string, unknown> | null): unknown => {
      // Generated ObjectIds differ between the two collections; everything else must be identical.
      if (d === null || (d._id as { _bsontype?: string })._bsontype !== 'ObjectId' || '_id' in filter || '_id' in doc) return d
      return { ...d, _id: 'generated' }
    }
    t.same(Object.keys(a ?? {}), Object.keys(b ?? {}), `shape ${i}: same field order`)
    t.same(strip(a), strip(b), `shape ${i}: same values`)
    t.equal(Buffer.from(BSON.serialize(strip(a) as object)).toString('hex'), Buffer.from(BSON.serialize(strip(b) as object)).toString('hex'), `shape ${i}: same bytes`)
  }
  // The upserted ids the driver reports are the stored ones.
  t.same(Object.values(r.upsertedIds).slice(0, 5), ['no-id-in-doc', 'id-leads', 'id-later', new ObjectId('65f0a1b2c3d4e5f601234567'), 7])
  // Present: the same batch again changes nothing.
  const again = await fast.bulkWrite(shapes.map(([filter, doc]) => ({ updateOne: { filter, update: { $setOnInsert: doc }, upsert: true } })), { ordered: false })
  t.equal(again.matchedCount, shapes.length - 2, 'the two shapes whose $setOnInsert changes a filtered field insert again')
  t.equal(again.upsertedCount, 2)
  // An empty filter on an empty collection: the new document gets a leading ObjectId.
  const empty = db.collection<Loose>('empty')
  await empty.bulkWrite([{ updateOne: { filter: {}, update: { $setOnInsert: { only: 'set-on-insert' } }, upsert: true } }])
  const only = await empty.findOne({})
  t.same(Object.keys(only ?? {}), ['_id', 'only'])
  t.ok(only?._id instanceof ObjectId)
  // The stored bytes are the client's: an integer-valued Double stays a Double (as in MongoDB).
  await fast.bulkWrite([{ updateOne: { filter: { _id: 'whole' }, update: { $setOnInsert: { d: new Double(2) } }, upsert: true } }])
  const whole = await fast.findOne({ _id: 'whole' }, RAW)
  t.ok(whole?.d instanceof Double && whole.d.value === 2)
})

t.test('an upsert whose $setOnInsert _id differs from the filter is rejected as before', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<Loose>('conflict')
  await t.rejects(c.updateOne({ _id: 'a' }, { $setOnInsert: { _id: 'b', x: 1 } }, { upsert: true }))
  t.equal(await c.countDocuments(), 0)
  // Dotted names in $setOnInsert take the decoded path and nest as usual.
  await c.updateOne({ _id: 'dotted' }, { $setOnInsert: { 'a.b': 1, c: 2 } }, { upsert: true })
  t.same(await c.findOne({ _id: 'dotted' }), { _id: 'dotted', a: { b: 1 }, c: 2 })
})

t.test('inserts: the client bytes are stored; a missing _id becomes a leading ObjectId; unique indexes hold', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<Loose>('ins')
  await c.createIndex({ site: 1, source_record_id: 1 }, { unique: true })
  const doc = { _id: 'first', ...eventFields(1) }
  await c.insertOne(doc)
  const back = await c.findOne({ _id: 'first' }, RAW)
  t.equal(Buffer.from(BSON.serialize(back as object)).toString('hex'), Buffer.from(BSON.serialize(doc)).toString('hex'), 'byte-identical round trip')
  const raw = await db.command({ insert: 'ins', documents: [{ site: 's', source_record_id: 'x', v: 1 }] })
  t.equal(raw.n, 1)
  const gen = await c.findOne({ site: 's' })
  t.ok(gen?._id instanceof ObjectId, 'an ObjectId')
  t.equal(Object.keys(gen ?? {})[0], '_id', 'generated _id leads')
  await t.rejects(c.insertOne({ _id: 'second', ...eventFields(1) }), { code: 11000 }, 'unique compound key')
  await t.rejects(c.insertOne({ _id: 'first', other: true }), { code: 11000 }, 'duplicate _id')
  await t.rejects(c.insertOne({ _id: [1, 2] as never, x: 1 }), /_id/)
  t.equal(await c.countDocuments(), 2)
})

t.test('filters, sorts and $group read only what they need and see the same values', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<Loose>('reads')
  await c.createIndex({ occurred_at: 1 })
  await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `e${i}`, ...eventFields(i), actor: `a${i % 3}` })))
  const byActor = await c.aggregate([
    { $match: { occurred_at: { $gte: new Date(Date.UTC(2025, 0, 1) + 10_000), $lt: new Date(Date.UTC(2025, 0, 1) + 40_000) } } },
    { $group: { _id: '$actor', n: { $sum: 1 }, last: { $max: '$occurred_at' }, total: { $sum: '$count' }, kind: { $first: '$object.type' } } },
    { $sort: { _id: 1 } }
  ]).toArray()
  t.same(byActor, [
    { _id: 'a0', n: 10, last: new Date(Date.UTC(2025, 0, 1) + 39_000), total: 12 + 15 + 18 + 21 + 24 + 27 + 30 + 33 + 36 + 39, kind: 'issue' },
    { _id: 'a1', n: 10, last: new Date(Date.UTC(2025, 0, 1) + 37_000), total: 10 + 13 + 16 + 19 + 22 + 25 + 28 + 31 + 34 + 37, kind: 'issue' },
    { _id: 'a2', n: 10, last: new Date(Date.UTC(2025, 0, 1) + 38_000), total: 11 + 14 + 17 + 20 + 23 + 26 + 29 + 32 + 35 + 38, kind: 'issue' }
  ])
  const found = await c.find({ 'object.tags': 'a', count: { $gte: 45 } }, RAW).sort({ ratio: -1 }).toArray()
  t.same(found.map((d) => d._id), ['e49', 'e48', 'e47', 'e46', 'e45'])
  t.same(found[0], { _id: 'e49', ...eventFields(49), actor: 'a1' }, 'whole documents come back')
  t.same(await c.distinct('object.id', { actor: 'a2', count: { $lt: 9 } }), ['2', '5', '8'])
  t.equal(await c.countDocuments({ $expr: { $gt: ['$count', '$ratio'] } }), 0, '$expr decodes whole documents')
})

t.test('journal and snapshot carry the stored bytes; replay keeps them', async (t) => {
  const dir = t.testdir()
  const engine = new Engine(dir)
  await engine.open()
  const c = engine.collection('db', 'raw', true) as Collection
  engine.createIndex(c, { name: 'site_rid', key: { site: 1, source_record_id: 1 }, unique: true })
  const docs = Array.from({ length: 20 }, (_, i) => Buffer.from(BSON.serialize({ _id: `r${i}`, ...eventFields(i) })))
  for (const d of docs) engine.insertBytes(c, d)
  engine.put(c, { _id: 'decoded', n: 1 })
  engine.remove(c, 'r3')
  await engine.commit()
  await engine.close()
  const journal = (await readFile(path.join(dir, 'journal-00000001.log')))
  t.ok(docs.every((d) => journal.includes(d)), 'every document is in the journal byte for byte')

  const check = async (label: string): Promise<Engine> => {
    const e = new Engine(dir)
    await e.open()
    const back = e.collection('db', 'raw', false) as Collection
    t.equal(back.docs.size, 20, `${label}: count`)
    t.equal(back.getRawById('r3'), undefined, `${label}: removal replayed`)
    t.equal(back.getRawById('r5'), docs[5]?.toString('latin1'), `${label}: stored bytes identical`)
    t.same(back.getById('r7'), BSON.deserialize(docs[7] as Buffer, { promoteLongs: false, promoteValues: true, promoteBuffers: false }), `${label}: decodes as before`)
    t.same(back.getById('decoded'), { _id: 'decoded', n: 1 })
    t.throws(() => e.insertBytes(back, Buffer.from(BSON.serialize({ _id: 'dup', ...eventFields(9) }))), { code: 11000 }, `${label}: unique index rebuilt from the bytes`)
    return e
  }
  const e1 = await check('journal replay')
  // A reopen that replayed records writes a snapshot in the background; close waits for it.
  await e1.close()
  t.ok((await readdir(dir)).some((f) => f.startsWith('snapshot-')), 'snapshot written')
  const e2 = await check('snapshot')
  await e2.close()
})

t.test('find and aggregate replies carry the stored bytes; projections and getMore agree with them', async (t) => {
  const { db } = await startTestMongo(t)
  const c = db.collection<Loose>('replies')
  const docs = Array.from({ length: 25 }, (_, i) => ({ _id: `d${String(i).padStart(2, '0')}`, ...eventFields(i), whole: new Double(2), int: new Int32(2) }))
  await c.insertMany(docs)
  const sent = docs.map((d) => Buffer.from(BSON.serialize(d)).toString('hex'))
  const raw = await c.find({}, { raw: true, batchSize: 4 }).sort({ _id: 1 }).toArray() as unknown as Buffer[]
  t.same(raw.map((b) => Buffer.from(b).toString('hex')), sent, 'find: first batch and getMore batches are the inserted bytes')
  const agg = await c.aggregate([{ $match: { count: { $gte: 20 } } }], { raw: true, batchSize: 2 }).toArray() as unknown as Buffer[]
  t.same(agg.map((b) => Buffer.from(b).toString('hex')), sent.slice(20), 'aggregate $match only: the stored bytes')
  const decoded = await c.find({ count: { $lt: 3 } }, { promoteValues: false, promoteLongs: false }).toArray()
  t.same(decoded, docs.slice(0, 3), 'decoded by the driver: same values and types as inserted')
  const projected = await c.find({ _id: 'd01' }, { projection: { site: 1, ratio: 1 }, promoteValues: false }).toArray()
  t.same(projected, [{ _id: 'd01', site: 'acme.atlassian.net', ratio: new Double(1.5) }])
  const empty = await c.find({ _id: 'none' }, { raw: true }).toArray()
  t.same(empty, [])
})

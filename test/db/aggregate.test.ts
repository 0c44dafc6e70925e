// Aggregation stages AtlasLens uses, through the driver.
import t from 'tap'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

const DAY = 86_400_000
const base = Date.UTC(2025, 5, 1)

async function seeded (t: Parameters<typeof startTestMongo>[0]) {
  const m = await startTestMongo(t)
  const events = m.db.collection('events')
  await events.insertMany(Array.from({ length: 30 }, (_, i) => ({
    _id: `e${i}`,
    actor: `u${i % 3}`,
    product: i % 2 === 0 ? 'jira' : 'confluence',
    occurred_at: new Date(base + (i % 10) * DAY + i * 1000),
    tags: i % 5 === 0 ? ['x', 'y'] : ['x']
  })) as never[])
  await m.db.collection('identities').insertMany([{ _id: 'u0', name: 'Ann' }, { _id: 'u1', name: 'Ben' }] as never[])
  return { ...m, events }
}

t.test('$match, $group, $sort, $limit, $skip, $project, $addFields, $count, $sortByCount', async (t) => {
  const { events } = await seeded(t)
  const byActor = await events.aggregate([
    { $match: { product: 'jira' } },
    { $group: { _id: '$actor', n: { $sum: 1 }, last: { $max: '$occurred_at' } } },
    { $sort: { n: -1, _id: 1 } }
  ]).toArray()
  t.same(byActor.map((r) => [r._id, r.n]), [['u0', 5], ['u1', 5], ['u2', 5]])
  t.ok(byActor[0]?.last instanceof Date)
  const paged = await events.aggregate([{ $sort: { _id: 1 } }, { $skip: 2 }, { $limit: 3 }, { $project: { _id: 1, actor: 1 } }, { $addFields: { k: { $concat: ['$actor', '!'] } } }]).toArray()
  t.same(paged, [{ _id: 'e10', actor: 'u1', k: 'u1!' }, { _id: 'e11', actor: 'u2', k: 'u2!' }, { _id: 'e12', actor: 'u0', k: 'u0!' }])
  t.same(await events.aggregate([{ $match: { actor: 'u1' } }, { $count: 'total' }]).toArray(), [{ total: 10 }])
  const products = await events.aggregate([{ $sortByCount: '$product' }]).toArray()
  t.same(products.map((r) => r.count), [15, 15])
  t.same(products.map((r) => r._id).sort(), ['confluence', 'jira'])
  const sbc = await events.aggregate([{ $match: { actor: { $ne: 'u2' } } }, { $sortByCount: '$actor' }]).toArray()
  t.same(sbc.map((r) => r.count), [10, 10])
})

t.test('$group accumulators and compound keys', async (t) => {
  const { events, db } = await seeded(t)
  const rows = await events.aggregate([
    { $match: { occurred_at: { $gte: new Date(base), $lt: new Date(base + 100 * DAY) } } },
    { $sort: { _id: 1 } },
    { $group: { _id: { actor: '$actor', product: '$product' }, n: { $count: {} }, firstId: { $first: '$_id' }, lastId: { $last: '$_id' }, minAt: { $min: '$occurred_at' }, avgDay: { $avg: { $literal: 1 } } } },
    { $sort: { '_id.actor': 1, '_id.product': 1 } }
  ]).toArray()
  t.equal(rows.length, 6)
  t.same(rows[0]?._id, { actor: 'u0', product: 'confluence' })
  t.equal(rows[0]?.n, 5)
  t.equal(rows[0]?.firstId, 'e15')
  t.equal(rows[0]?.lastId, 'e9')
  t.ok(rows[0]?.minAt instanceof Date)
  t.equal(rows[0]?.avgDay, 1)
  const mixed = db.collection('mixed')
  await mixed.insertMany([{ g: 'a', v: 1 }, { g: 'a', v: 'x' }, { g: 'a' }, { g: 'b', v: 2.5 }, { v: 4 }])
  const sums = await mixed.aggregate([{ $group: { _id: '$g', total: { $sum: '$v' }, avg: { $avg: '$v' }, max: { $max: '$v' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray()
  t.same(sums, [
    { _id: null, total: 4, avg: 4, max: 4, n: 1 },
    { _id: 'a', total: 1, avg: 1, max: 'x', n: 3 },
    { _id: 'b', total: 2.5, avg: 2.5, max: 2.5, n: 1 }
  ], 'non-numbers are ignored by $sum/$avg; $max follows BSON order; missing group key is null')
})

t.test('$lookup, $unwind, $facet', async (t) => {
  const { events } = await seeded(t)
  const joined = await events.aggregate([
    { $match: { _id: { $in: ['e0', 'e1', 'e2'] } } },
    { $lookup: { from: 'identities', localField: 'actor', foreignField: '_id', as: 'who' } },
    { $unwind: { path: '$who', preserveNullAndEmptyArrays: true } },
    { $project: { _id: 1, name: '$who.name' } },
    { $sort: { _id: 1 } }
  ]).toArray()
  t.same(joined, [{ _id: 'e0', name: 'Ann' }, { _id: 'e1', name: 'Ben' }, { _id: 'e2' }])
  const tags = await events.aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray()
  t.same(tags, [{ _id: 'x', n: 30 }, { _id: 'y', n: 6 }])
  const [facets] = await events.aggregate([{ $facet: { total: [{ $count: 'n' }], top: [{ $sortByCount: '$actor' }, { $limit: 1 }] } }]).toArray()
  t.same(facets?.total, [{ n: 30 }])
  t.equal(facets?.top.length, 1)
})

t.test('$dateTrunc and $dateToString for timelines', async (t) => {
  const { events } = await seeded(t)
  const perDay = await events.aggregate([
    { $match: { occurred_at: { $gte: new Date(base), $lt: new Date(base + 3 * DAY) } } },
    { $group: { _id: { $dateTrunc: { date: '$occurred_at', unit: 'day' } }, n: { $sum: 1 } } },
    { $sort: { _id: 1 } }
  ]).toArray()
  t.same(perDay.map((r) => [(r._id as Date).toISOString(), r.n]), [
    ['2025-06-01T00:00:00.000Z', 3], ['2025-06-02T00:00:00.000Z', 3], ['2025-06-03T00:00:00.000Z', 3]
  ])
  const labels = await events.aggregate([
    { $match: { _id: 'e11' } },
    { $project: { _id: 0, d: { $dateToString: { date: '$occurred_at', format: '%Y-%m-%d %H:%M' } } } }
  ]).toArray()
  t.same(labels, [{ d: '2025-06-02 00:00' }])
})

t.test('$out writes a collection; errors come back as server errors', async (t) => {
  const { db, events } = await seeded(t)
  await events.aggregate([{ $match: { actor: 'u0' } }, { $project: { actor: 1 } }, { $out: 'u0_events' }]).toArray()
  t.equal(await db.collection('u0_events').countDocuments(), 10)
  await t.rejects(events.aggregate([{ $nonsense: {} }]).toArray())
})

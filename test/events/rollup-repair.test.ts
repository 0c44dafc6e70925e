// A write interrupted between the events and their rollup increments (here: a rollup write that fails) leaves a
// marker open; repairRollups recounts those days from raw events, so rollups equal a raw count again.
import t from 'tap'
import type { Db } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { createIngest } from '../../src/events/ingest.js'
import { ensureEventIndexes } from '../../src/events/event-indexes.js'
import { createRollupMarkers, repairRollups, ROLLUP_REPAIRS } from '../../src/events/rollup-repair.js'
import type { UnifiedEvent } from '../../src/events/event.js'
import { captureLogger, NOW, pages } from './ingest-fixtures.js'

const keys = [generateFernetKey()]
const mongo = await startTestMongo(t)
let dbs = 0

async function setup (st: { teardown: (fn: () => unknown) => void }) {
  const db = mongo.client.db(`${mongo.dbName}_${++dbs}`)
  st.teardown(async () => { await db.dropDatabase() })
  const { logger } = captureLogger()
  await ensureEventIndexes(db, logger)
  const ingest = createIngest({
    db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys),
    retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => NOW
  })
  return { db, ingest }
}

type Counts = Record<string, number>

/** Raw events and rollups, both as counts per day × product × operation × actor. */
async function counts (db: Db): Promise<{ raw: Counts, rollups: Counts, dayTotal: number }> {
  const raw: Counts = {}
  for (const e of await db.collection<UnifiedEvent>('events').find({}).toArray()) {
    const k = [e.occurred_at.toISOString().slice(0, 10), e.product, e.operation, e.actor_account_id].join(' ')
    raw[k] = (raw[k] ?? 0) + 1
  }
  const rollups: Counts = {}
  for (const r of await db.collection('event_rollups_daily').find({}).toArray()) {
    const k = [(r.day as Date).toISOString().slice(0, 10), r.product, r.operation, r.actor_account_id].join(' ')
    rollups[k] = (rollups[k] ?? 0) + (r.count as number)
  }
  const dayTotal = (await db.collection('event_day_counts').find({}).toArray()).reduce((s, d) => s + (d.inserted as number), 0)
  return { raw, rollups, dayTotal }
}

const later = (): Date => new Date(Date.now() + 5 * 60_000)

t.test('rollups lost to a failed follow-up write are recounted from raw events', async (t) => {
  const { db, ingest } = await setup(t)
  const [page] = pages(1, 60)
  // Make every new rollup document fail with E11000 while the events themselves still go in.
  const rollups = db.collection('event_rollups_daily')
  await rollups.createIndex({ site: 1 }, { unique: true, name: 'block_rollups' })
  await rollups.insertOne({ _id: 'blocker' as never, site: 'acme.atlassian.net' })
  await t.rejects(ingest(page ?? []), { code: 11000 }, 'the page fails, so its checkpoint would not move')
  await rollups.deleteOne({ _id: 'blocker' as never })
  await rollups.dropIndex('block_rollups')

  const retried = await ingest(page ?? [])
  await ingest.settled()
  t.equal(retried.inserted, 0, 'the retry finds every event already stored')
  let c = await counts(db)
  t.equal(Object.values(c.raw).reduce((a, b) => a + b, 0), 60)
  t.same(c.rollups, {}, 'without repair the increments are lost for good')
  t.equal(await db.collection(ROLLUP_REPAIRS).countDocuments({ closed_at: { $exists: false } }), 1, 'the failed write left its marker open')

  const early = await repairRollups(db, { staleAfterMs: 0 })
  t.equal(early.repaired, 0, 'the retry touched the same days moments ago: they wait')
  t.ok(early.deferred > 0)

  const outcome = await repairRollups(db, { staleAfterMs: 0, now: later })
  t.ok(outcome.repaired > 0)
  t.equal(outcome.deferred, 0)
  c = await counts(db)
  t.same(c.rollups, c.raw, 'rollups equal a raw count again')
  t.equal(c.dayTotal, 60, 'day counters recounted too')
  t.equal(await db.collection(ROLLUP_REPAIRS).countDocuments({ closed_at: { $exists: false } }), 0, 'no open marker left')
  t.same(await repairRollups(db, { staleAfterMs: 0, now: later }), { repaired: 0, deferred: 0 }, 'nothing left to do')

  const next = await ingest(pages(1, 30, 1000)[0] ?? [])
  t.equal(next.inserted, 30)
  c = await counts(db)
  t.same(c.rollups, c.raw, 'later increments add on top of the recount')
  t.equal(c.dayTotal, 90)
})

t.test('a recount replaces wrong counts, drops rollups without events and never lowers a day counter', async (t) => {
  const { db, ingest } = await setup(t)
  for (const p of pages(2, 50)) await ingest(p)
  await ingest.settled()
  const first = await db.collection('event_rollups_daily').findOne({}, { sort: { _id: 1 } })
  const day = first?.day as Date
  const dayKey = day.toISOString().slice(0, 10)
  await db.collection('event_rollups_daily').updateOne({ _id: first?._id }, { $set: { count: 999 } })
  await db.collection('event_rollups_daily').insertOne({
    _id: JSON.stringify([dayKey, 'acme.atlassian.net', 'jira', 'ghost_operation', 'acc-x']) as never,
    day, site: 'acme.atlassian.net', product: 'jira', operation: 'ghost_operation', actor_account_id: 'acc-x', category: 'content', severity: 'low', count: 3
  })
  const rawOnDay = await db.collection('events').countDocuments({ occurred_at: { $gte: day, $lt: new Date(day.getTime() + 86_400_000) } })
  await db.collection('event_day_counts').updateOne({ _id: dayKey as never }, { $set: { inserted: 1 } })
  // Another day whose counter is higher than its events (some expired): it must stay.
  const otherDay = new Date(day.getTime() + 86_400_000)
  const otherKey = otherDay.toISOString().slice(0, 10)
  await db.collection('event_day_counts').updateOne({ _id: otherKey as never }, { $set: { inserted: 1_000_000, day: otherDay } }, { upsert: true })

  const markers = createRollupMarkers(db, () => new Date(Date.now() - 3_600_000))
  await markers.open([{ occurred_at: day } as UnifiedEvent, { occurred_at: otherDay } as UnifiedEvent])
  // Five minutes on: the ingests above are no longer "moments ago".
  const outcome = await repairRollups(db, { now: later })
  t.same(outcome, { repaired: 2, deferred: 0 })
  const c = await counts(db)
  t.same(c.rollups, c.raw, 'the wrong count and the rollup without events are gone')
  t.equal((await db.collection('event_day_counts').findOne({ _id: dayKey as never }))?.inserted, rawOnDay, 'a short counter is raised to the raw count')
  t.equal((await db.collection('event_day_counts').findOne({ _id: otherKey as never }))?.inserted, 1_000_000, 'a higher counter is kept')
})

t.test('days a write may still be working on are left for a later pass', async (t) => {
  const { db, ingest } = await setup(t)
  await ingest(pages(1, 20)[0] ?? [])
  await ingest.settled()
  const sample = await db.collection<UnifiedEvent>('events').findOne({})
  const day = sample?.occurred_at as Date
  await createRollupMarkers(db, () => new Date(Date.now() - 3_600_000)).open([{ occurred_at: day } as UnifiedEvent])
  await createRollupMarkers(db, () => new Date()).open([{ occurred_at: day } as UnifiedEvent])
  const outcome = await repairRollups(db)
  t.same(outcome, { repaired: 0, deferred: 1 }, 'a fresh open marker on the same day defers the recount')
  t.equal(await db.collection(ROLLUP_REPAIRS).countDocuments({ closed_at: { $exists: false } }), 2, 'both markers stay open')
  const ttl = (await db.collection(ROLLUP_REPAIRS).listIndexes().toArray()).find((ix) => ix.name === 'closed_ttl')
  t.equal(ttl?.expireAfterSeconds, 3600, 'closed markers expire after an hour')
})

t.test('closing a marker rides on the next open, or goes out on its own shortly after', async (t) => {
  const { db } = await setup(t)
  const markers = createRollupMarkers(db, () => new Date(), 60_000)
  const col = db.collection(ROLLUP_REPAIRS)
  const ev = [{ occurred_at: NOW } as UnifiedEvent]
  const a = await markers.open(ev)
  markers.close(a)
  t.equal((await col.findOne({ _id: a }))?.closed_at, undefined, 'a close is queued, not written at once')
  const b = await markers.open(ev)
  t.type((await col.findOne({ _id: a }))?.closed_at, Date, 'the next open carried it')
  t.equal((await col.findOne({ _id: b }))?.closed_at, undefined)
  markers.close(b)
  await markers.flush()
  t.type((await col.findOne({ _id: b }))?.closed_at, Date, 'flush writes what is queued')

  const quick = createRollupMarkers(db, () => new Date(), 20)
  const c = await quick.open(ev)
  quick.close(c)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.type((await col.findOne({ _id: c }))?.closed_at, Date, 'with no further open, the timer writes it')
})

import t from 'tap'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { ensureEventIndexes, EVENT_INDEXES, RETENTION_SECONDS } from '../../src/events/event-indexes.js'
import { captureLogger } from './ingest-fixtures.js'

const mongo = await startTestMongo(t)
let dbs = 0
const freshDb = (st: { teardown: (fn: () => unknown) => void }) => {
  const db = mongo.client.db(`${mongo.dbName}_${++dbs}`)
  st.teardown(async () => { await db.dropDatabase() })
  return db
}
const ttlOf = async (db: import('mongodb').Db, col = 'events') =>
  (await db.collection(col).listIndexes().toArray()).find((ix) => JSON.stringify(ix.key) === JSON.stringify({ occurred_at: 1 }))

t.test('creates the TTL index with exactly 31,536,000 s and the view indexes; idempotent', async (t) => {
  const db = freshDb(t)
  const { logger } = captureLogger()
  const first = await ensureEventIndexes(db, logger)
  t.equal(first.eventsTtl.action, 'created')
  const ttl = await ttlOf(db)
  t.equal(ttl?.expireAfterSeconds, 31_536_000)
  t.equal(RETENTION_SECONDS, 31_536_000)
  const names = (await db.collection('events').listIndexes().toArray()).map((ix) => ix.name)
  for (const ix of EVENT_INDEXES) t.ok(names.includes(ix.name as string), `index ${ix.name}`)
  const again = await ensureEventIndexes(db, logger)
  t.equal(again.eventsTtl.action, 'unchanged')
  t.equal(again.rollupsTtl.action, 'unchanged')
  const rollupTtl = (await db.collection('event_rollups_daily').listIndexes().toArray()).find((ix) => ix.name === 'day_ttl')
  t.equal(rollupTtl?.expireAfterSeconds, 31_536_000 + 86_400)
})

t.test('a TTL index with another expiry is corrected with collMod, and the correction is logged', async (t) => {
  const db = freshDb(t)
  await db.collection('events').createIndex({ occurred_at: 1 }, { name: 'legacy_ttl', expireAfterSeconds: 3600 })
  const { logger, lines } = captureLogger()
  const out = await ensureEventIndexes(db, logger)
  t.same([out.eventsTtl.action, out.eventsTtl.previous], ['corrected', 3600])
  const ttl = await ttlOf(db)
  t.equal(ttl?.expireAfterSeconds, 31_536_000)
  t.equal(ttl?.name, 'legacy_ttl', 'modified in place')
  t.match(lines.join('\n'), /corrected with collMod/)
  t.match(lines.join('\n'), /"previous":3600/)
})

t.test('a plain index on occurred_at is replaced by the TTL index', async (t) => {
  const db = freshDb(t)
  await db.collection('events').createIndex({ occurred_at: 1 }, { name: 'plain' })
  const { logger } = captureLogger()
  const out = await ensureEventIndexes(db, logger)
  t.equal(out.eventsTtl.action, 'replaced')
  t.equal((await ttlOf(db))?.expireAfterSeconds, 31_536_000)
})

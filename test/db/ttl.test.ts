// TTL indexes: the monitor removes expired documents, and collMod fixes a wrong expireAfterSeconds.
import t from 'tap'
import type { Collection } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

// Real mongod runs its TTL monitor every 60 s; the embedded store is told to run it every 100 ms here.
async function waitFor (check: () => Promise<boolean>, timeoutMs = 150_000): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

async function ids (c: Collection): Promise<string[]> {
  return (await c.find({}).sort({ _id: 1 }).toArray()).map((d) => String(d._id))
}

t.test('TTL monitor removes documents older than expireAfterSeconds', async (t) => {
  const { db } = await startTestMongo(t, { ttlIntervalMs: 100 })
  const c = db.collection('events')
  await c.createIndex({ occurred_at: 1 }, { expireAfterSeconds: 3600 })
  const now = Date.now()
  await c.insertMany([
    { _id: 'old', occurred_at: new Date(now - 2 * 3600_000) },
    { _id: 'older', occurred_at: new Date(now - 48 * 3600_000) },
    { _id: 'fresh', occurred_at: new Date(now - 60_000) },
    { _id: 'future', occurred_at: new Date(now + 3600_000) },
    { _id: 'not-a-date', occurred_at: 'yesterday' },
    { _id: 'no-field' }
  ] as never[])
  t.ok(await waitFor(async () => (await c.countDocuments()) === 4), 'expired documents are removed')
  t.same(await ids(c), ['fresh', 'future', 'no-field', 'not-a-date'])
})

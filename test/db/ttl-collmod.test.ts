// collMod fixes a wrong expireAfterSeconds on a TTL index, and the monitor then applies the new value.
// (Separate file from ttl.test.ts: on real MongoDB each waits for 60 s TTL passes, so they run in parallel.)
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

t.test('collMod changes expireAfterSeconds (by key pattern and by name)', async (t) => {
  const { db } = await startTestMongo(t, { ttlIntervalMs: 100 })
  const c = db.collection('retention')
  await c.createIndex({ at: 1 }, { expireAfterSeconds: 10 * 365 * 86_400, name: 'at_ttl' })
  const now = Date.now()
  await c.insertMany([{ _id: 'a', at: new Date(now - 3 * 86_400_000) }, { _id: 'b', at: new Date(now - 86_400_000 / 2) }] as never[])
  const r1 = await db.command({ collMod: 'retention', index: { keyPattern: { at: 1 }, expireAfterSeconds: 2 * 86_400 } })
  t.equal(r1.ok, 1)
  t.equal(r1.expireAfterSeconds_old, 10 * 365 * 86_400)
  t.equal(r1.expireAfterSeconds_new, 2 * 86_400)
  t.equal((await c.listIndexes().toArray()).find((i) => i.name === 'at_ttl')?.expireAfterSeconds, 2 * 86_400)
  t.ok(await waitFor(async () => (await ids(c)).join() === 'b'), 'the now-expired document goes')
  await db.command({ collMod: 'retention', index: { name: 'at_ttl', expireAfterSeconds: 3600 } })
  t.ok(await waitFor(async () => (await c.countDocuments()) === 0), 'and the next one after a second collMod')
  await t.rejects(db.command({ collMod: 'retention', index: { name: 'nope', expireAfterSeconds: 1 } }), { code: 27 })
})

import t from 'tap'
import { BSON } from 'bson'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { createIngest } from '../../src/events/ingest.js'
import { ensureEventIndexes } from '../../src/events/event-indexes.js'
import type { EventDraft, UnifiedEvent } from '../../src/events/event.js'
import { captureLogger, jiraChange, NOW, pages } from './ingest-fixtures.js'

const keys = [generateFernetKey()]
// One store per file; each subtest gets its own database.
const mongo = await startTestMongo(t)
let dbs = 0

async function setup (st: { teardown: (fn: () => unknown) => void }, clock: { now: Date } = { now: NOW }) {
  const db = mongo.client.db(`${mongo.dbName}_${++dbs}`)
  st.teardown(async () => { await db.dropDatabase() })
  const { logger, lines } = captureLogger()
  await ensureEventIndexes(db, logger)
  const ingest = createIngest({
    db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys),
    retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => clock.now
  })
  return { db, ingest, lines }
}

async function snapshot (db: import('mongodb').Db): Promise<Buffer[]> {
  const docs = await db.collection('events').find({}).sort({ _id: 1 }).toArray()
  return docs.map((d) => Buffer.from(BSON.serialize(d)))
}

t.test('re-ingesting the same pages changes nothing, byte for byte', async (t) => {
  const clock = { now: NOW }
  const { db, ingest } = await setup(t, clock)
  const batches = pages(3, 40)
  const first = []
  for (const p of batches) first.push(await ingest(p))
  t.same(first.map((r) => r.inserted), [40, 40, 40])
  t.same(first.map((r) => r.alreadyPresent), [0, 0, 0])
  const before = await snapshot(db)
  t.equal(before.length, 120)
  const rollupsBefore = await db.collection('event_rollups_daily').find({}).sort({ _id: 1 }).toArray()

  clock.now = new Date(NOW.getTime() + 3_600_000) // a later run: ingested_at would differ if anything were rewritten
  for (const p of batches) {
    const r = await ingest(p)
    t.same(r, { received: 40, inserted: 0, alreadyPresent: 40, skippedTooOld: 0, rejected: 0 })
  }
  const overlap = await ingest([...(batches[2] as EventDraft[]).slice(20), ...pages(1, 10, 120)[0] as EventDraft[]])
  t.same([overlap.inserted, overlap.alreadyPresent], [10, 20], 'an overlapping window inserts only the new records')
  const after = await snapshot(db)
  t.equal(after.length, 130)
  const afterById = new Map(after.map((b) => [BSON.deserialize(b)._id as string, b]))
  for (const b of before) t.ok(b.equals(afterById.get(BSON.deserialize(b)._id as string) as Buffer), 'stored event untouched')
  const rollupsAfter = await db.collection('event_rollups_daily').find({}).sort({ _id: 1 }).toArray()
  const total = (rs: Array<Record<string, unknown>>): number => rs.reduce((s, r) => s + (r.count as number), 0)
  t.equal(total(rollupsBefore), 120)
  t.equal(total(rollupsAfter), 130, 'rollups count each event once')
})

t.test('each distinct change is its own event; duplicates inside a page are stored once', async (t) => {
  const { db, ingest } = await setup(t)
  const updates = [1, 2, 3, 4, 5].map((v) => jiraChange(0, { source_record_id: `10001:changelog:${v}`, operation: 'issue_updated' }))
  const r = await ingest([...updates, updates[0] as EventDraft])
  t.same([r.inserted, r.alreadyPresent], [5, 1])
  t.equal(await db.collection('events').countDocuments({ 'object.id': '10000' }), 5)
})

t.test('too-old records are skipped and invalid ones rejected, both counted; logs carry no record content', async (t) => {
  const { db, ingest, lines } = await setup(t)
  const tooOld = jiraChange(1, { occurred_at: new Date(NOW.getTime() - 366 * 86_400_000).getTime() })
  const justInside = jiraChange(2, { occurred_at: new Date(NOW.getTime() - 364 * 86_400_000) })
  const invalid = jiraChange(3, { occurred_at: 'not a time', summary: 'secret-summary ada@example.com' })
  const noProduct = jiraChange(4, { product: 'trello' as never })
  const r = await ingest([tooOld, justInside, invalid, noProduct])
  t.same(r, { received: 4, inserted: 1, alreadyPresent: 0, skippedTooOld: 1, rejected: 2 })
  t.equal(await db.collection('events').countDocuments(), 1)
  const log = lines.join('\n')
  t.match(log, /invalid_time/)
  t.match(log, /unknown_product/)
  t.notMatch(log, /secret-summary|ada@example\.com/)
})

t.test('rollups equal a raw count per day × product × operation × actor', async (t) => {
  const { db, ingest } = await setup(t)
  for (const p of pages(4, 50)) await ingest(p)
  await ingest(pages(1, 50)[0] as EventDraft[]) // a re-read must not inflate them
  const raw = await db.collection<UnifiedEvent>('events').find({}).toArray()
  const expected = new Map<string, number>()
  for (const e of raw) {
    const key = [e.occurred_at.toISOString().slice(0, 10), e.product, e.operation, e.actor_account_id].join(' ')
    expected.set(key, (expected.get(key) ?? 0) + 1)
  }
  const got = new Map<string, number>()
  for (const r of await db.collection('event_rollups_daily').find({}).toArray()) {
    const key = [(r.day as Date).toISOString().slice(0, 10), r.product, r.operation, r.actor_account_id].join(' ')
    got.set(key, (got.get(key) ?? 0) + (r.count as number))
  }
  t.same(Object.fromEntries([...got].sort()), Object.fromEntries([...expected].sort()))
  const days = await db.collection('event_day_counts').find({}).toArray()
  t.equal(days.reduce((s, d) => s + (d.inserted as number), 0), 200)
})

t.test('emails never reach any collection or log in plaintext', async (t) => {
  const { db, ingest, lines } = await setup(t)
  const drafts: EventDraft[] = [
    jiraChange(1, { actor: { account_id: 'acc-ada', display_name: 'Ada', email: 'ada.lovelace@example.com' } }),
    jiraChange(2, {
      product: 'bitbucket', source: 'bitbucket-activity', source_record_id: 'repo:commit:abc123', operation: 'commit_pushed',
      actor: { account_id: '', raw_author: 'Grace Hopper <grace.hopper@navy.example.mil>' },
      summary: 'Commit by Grace Hopper <grace.hopper@navy.example.mil>'
    }),
    jiraChange(3, { actor: { account_id: 'acc-bob', display_name: 'bob.builder@example.org' } }),
    jiraChange(4, {
      operation: 'email_changed', pipeline: 'audit', source: 'jira-audit',
      object: { type: 'user', id: 'carol@example.net', name: 'carol@example.net', container: null, url: null },
      changes: [{ field: 'email', from: 'carol@example.net', to: 'carol.new@example.net' }]
    }),
    jiraChange(5, { product: 'bitbucket', source: 'bitbucket-activity', source_record_id: 'repo:commit:def456', actor: { account_id: 'acc-linked', raw_author: 'Dan <dan@example.io>', product_ids: { bitbucket: '{1234-uuid}' } } })
  ]
  const r = await ingest(drafts)
  t.equal(r.inserted, 5)
  const plaintext = /ada\.lovelace@|grace\.hopper@|bob\.builder@|carol@|carol\.new@|dan@example/i
  const collections = (await db.listCollections().toArray()).map((c) => c.name)
  t.ok(collections.includes('identities') && collections.includes('events'))
  for (const name of collections) {
    const docs = await db.collection(name).find({}).toArray()
    t.notMatch(JSON.stringify(docs), plaintext, `no plaintext email in ${name}`)
  }
  t.notMatch(lines.join('\n'), plaintext, 'no plaintext email in logs')

  const cipher = createFieldCipher(keys)
  const ada = await db.collection('identities').findOne({ _id: 'acc-ada' as never })
  t.equal(cipher.decrypt(ada?.email_enc as string), 'ada.lovelace@example.com', 'encrypted, not lost')
  t.equal(ada?.display_name, 'Ada')
  const grace = await db.collection('identities').findOne({ display_name: 'Grace Hopper' })
  t.match(grace?._id, /^unlinked:/, 'an author with no account gets a keyed pseudonym')
  t.equal(cipher.decrypt(grace?.email_enc as string), 'grace.hopper@navy.example.mil')
  const bob = await db.collection('identities').findOne({ _id: 'acc-bob' as never })
  t.equal(bob?.display_name ?? null, null, 'an email used as a display name is not stored as the name')
  t.equal(cipher.decrypt(bob?.email_enc as string), 'bob.builder@example.org')
  const dan = await db.collection('identities').findOne({ _id: 'acc-linked' as never })
  t.equal(dan?.display_name, 'Dan')
  t.same(dan?.product_ids, { bitbucket: '{1234-uuid}' })
})

t.test('two writers ingesting the same page at once: every event stored once, counts add up, nothing throws', async (t) => {
  const { db, ingest } = await setup(t)
  const page = pages(1, 60)[0] as EventDraft[]
  const [a, b] = await Promise.all([ingest(page), ingest(page)])
  t.equal(a.inserted + b.inserted, 60)
  t.equal(a.alreadyPresent + b.alreadyPresent, 60)
  t.equal(await db.collection('events').countDocuments(), 60)
  const rollupTotal = (await db.collection('event_rollups_daily').find({}).toArray()).reduce((s, r) => s + (r.count as number), 0)
  t.equal(rollupTotal, 60, 'rollups follow the inserts, not the attempts')
})

t.test('two ingest instances racing on one page: every event stored once, counts add up', async (t) => {
  const { db, ingest } = await setup(t)
  const other = createIngest({
    db, logger: captureLogger().logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys),
    retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => NOW
  })
  const page = pages(1, 50, 900)[0] as EventDraft[]
  const [a, b] = await Promise.all([ingest(page), other(page)])
  t.equal(a.inserted + b.inserted, 50)
  t.equal(a.alreadyPresent + b.alreadyPresent, 50)
  t.equal(await db.collection('events').countDocuments(), 50)
  const rollupTotal = (await db.collection('event_rollups_daily').find({}).toArray()).reduce((s, r) => s + (r.count as number), 0)
  t.equal(rollupTotal, 50)
})

t.test('group commit: pages queued behind a write share the next one, each caller gets its own counts', async (t) => {
  const { MongoClient } = await import('mongodb')
  const client = await MongoClient.connect(mongo.uri, { monitorCommands: true })
  t.teardown(async () => { await client.close() })
  const db = client.db(`${mongo.dbName}_${++dbs}`)
  t.teardown(async () => { await db.dropDatabase() })
  const { logger } = captureLogger()
  await ensureEventIndexes(db, logger)
  const writes: Record<string, number> = {}
  client.on('commandStarted', (e) => {
    if (e.commandName === 'update') writes[e.command.update as string] = (writes[e.command.update as string] ?? 0) + 1
  })
  const ingest = createIngest({
    db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys),
    retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => NOW, maxConcurrentWrites: 1
  })
  const batches = pages(6, 30, 2000)
  // Page 2 repeats one record of page 1 and one of its own: counted once, as already present, in its own result.
  batches[2] = [...(batches[2] as EventDraft[]), (batches[1] as EventDraft[])[0] as EventDraft, (batches[2] as EventDraft[])[0] as EventDraft]
  const results = await Promise.all(batches.map(async (p) => await ingest(p)))
  t.same(results.map((r) => r.inserted), [30, 30, 30, 30, 30, 30])
  t.same(results.map((r) => r.alreadyPresent), [0, 0, 2, 0, 0, 0])
  t.equal(await db.collection('events').countDocuments(), 180)
  t.ok((writes.events ?? 0) >= 2 && (writes.events ?? 0) < 6, `the first page is written alone, the other five share one write (${writes.events} events writes)`)
  const rollupTotal = (await db.collection('event_rollups_daily').find({}).toArray()).reduce((s, r) => s + (r.count as number), 0)
  t.equal(rollupTotal, 180, 'rollups equal the inserted events')
  const again = await Promise.all(batches.map(async (p) => await ingest(p)))
  t.same(again.map((r) => r.inserted), [0, 0, 0, 0, 0, 0], 're-reading every page inserts nothing')
  t.equal((await db.collection('event_rollups_daily').find({}).toArray()).reduce((s, r) => s + (r.count as number), 0), 180)
})

t.test('a failed group write rejects every page in it; a retry then inserts them once', async (t) => {
  const { db } = await setup(t)
  let failDayCounts = true
  // The day-counter write fails (as a store error would) while the events themselves were written.
  const flaky = new Proxy(db, {
    get (target, prop, receiver) {
      if (prop !== 'collection') return Reflect.get(target, prop, receiver)
      return (name: string) => {
        const col = target.collection(name)
        if (name !== 'event_day_counts') return col
        return new Proxy(col, {
          get (c, p, r) {
            if (p === 'bulkWrite' && failDayCounts) return async () => { throw new Error('store unavailable') }
            const v = Reflect.get(c, p, r)
            return typeof v === 'function' ? v.bind(c) : v
          }
        })
      }
    }
  })
  const ingest = createIngest({
    db: flaky, logger: captureLogger().logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys),
    retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => NOW, maxConcurrentWrites: 1
  })
  const batches = pages(3, 10, 4000)
  const settled = await Promise.allSettled(batches.map(async (p) => await ingest(p)))
  t.same(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected'], 'every page of a failed write learns of it')
  failDayCounts = false
  const retried = await Promise.all(batches.map(async (p) => await ingest(p)))
  t.same(retried.map((r) => r.inserted + r.alreadyPresent), [10, 10, 10])
  t.equal(await db.collection('events').countDocuments(), 30, 'stored once')
})

import t from 'tap'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { ensureEventIndexes } from '../../src/events/event-indexes.js'
import { createEventsRepository, planHasCollScan, planIndexNames, type EventFilter } from '../../src/events/events-repository.js'
import { createIngest } from '../../src/events/ingest.js'
import { captureLogger, NOW, pages } from './ingest-fixtures.js'

const { db } = await startTestMongo(t)
const keys = [generateFernetKey()]
const { logger } = captureLogger()
await ensureEventIndexes(db, logger)
const ingest = createIngest({ db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys), retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => NOW })
for (const p of pages(6, 50)) await ingest(p)
const repo = createEventsRepository(db)

t.test('keyset paging walks every event exactly once, newest first', async (t) => {
  const seen: string[] = []
  let after = null
  let last = Infinity
  let sorted = true
  for (let i = 0; i < 100; i++) {
    const page: Awaited<ReturnType<typeof repo.search>> = await repo.search({}, { limit: 37, after })
    for (const e of page.events) {
      if (e.occurred_at.getTime() > last) sorted = false
      last = e.occurred_at.getTime()
      seen.push(e._id)
    }
    if (!page.next) break
    after = page.next
  }
  t.ok(sorted, 'sorted newest first across pages')
  t.equal(seen.length, 300)
  t.equal(new Set(seen).size, 300)
})

t.test('filters and counts agree', async (t) => {
  const f: EventFilter = { actor: 'acc-1', container: 'GEM' }
  const all = await repo.search(f, { limit: 500 })
  t.ok(all.events.length > 0)
  t.ok(all.events.every((e) => e.actor_account_id === 'acc-1' && e.object.container === 'GEM'))
  t.equal(await repo.count(f), all.events.length)
  t.equal(await repo.count(), 300)
  t.ok((await repo.oldest()) instanceof Date)
  const totals = await repo.rollupTotals({ product: 'jira' })
  t.equal(totals.reduce((s, r) => s + r.count, 0), 300, 'rollup totals equal the raw count')
  t.equal(totals.reduce((s, r) => s + r.count, 0), await repo.count({ product: 'jira' }))
})

t.test('explain: the main view queries use an index, never a collection scan', async (t) => {
  const from = new Date(NOW.getTime() - 10 * 86_400_000)
  const cases: Array<[string, EventFilter, string]> = [
    ['by time', { from }, 'time'],
    ['actor + time', { actor: 'acc-2', from }, 'actor_time'],
    ['product + time', { product: 'jira', from }, 'product_time'],
    ['operation + time', { operation: 'issue_created', from }, 'operation_time'],
    ['category/severity + time', { category: 'content', severity: 'low', from }, 'category_severity_time'],
    ['container + time', { container: 'APO', from }, 'container_time']
  ]
  for (const [label, filter, index] of cases) {
    const plan = await repo.explainSearch(filter)
    t.ok(planIndexNames(plan).includes(index), `${label} uses ${index} (got ${planIndexNames(plan).join(',')})`)
    t.notOk(planHasCollScan(plan), `${label}: no COLLSCAN`)
  }
  const page = await repo.search({ actor: 'acc-3' }, { limit: 5 })
  const paged = await repo.explainSearch({ actor: 'acc-3' }, page.next)
  t.ok(planIndexNames(paged).length > 0, 'a later page still uses an index')
  t.notOk(planHasCollScan(paged))
})

import t from 'tap'
import pino from 'pino'
import { Availability, SourceId } from '../../src/connectors/connector.js'
import { createScheduler, SyncStatus, type ConnectorEntry } from '../../src/scheduler/scheduler.js'
import { stateKey } from '../../src/scheduler/connector-state-repository.js'
import { fakeSite, gate, memoryIngest, pagedConnector } from './fake-connectors.js'
import { openTestDb } from './test-db.js'

const logger = pino({ level: 'silent' })
const INTERVAL = 15 * 60_000

t.test('pages are ingested, checkpointed one by one, and a failed run resumes from the last committed page', async (t) => {
  const { db } = await openTestDb(t)
  const site = fakeSite('acme.atlassian.net')
  const boom = Object.assign(new Error('GET https://acme.atlassian.net/rest/api/3/auditing/record?token=jira-secret-token-value failed for admin@example.com'), { code: 'ATL_HTTP_SERVER_ERROR' })
  let failNext = true
  const connector = pagedConnector({
    source: SourceId.JiraAudit,
    pages: 5,
    beforePage: async (i) => {
      if (i === 3 && failNext) { failNext = false; throw boom }
    }
  })
  const mem = memoryIngest()
  const scheduler = createScheduler({ db, entries: [{ site, connector }], ingest: mem.ingest, logger, intervalMs: INTERVAL })
  t.teardown(scheduler.close)
  await scheduler.init()

  const [first] = await scheduler.syncNow()
  t.equal(first?.status, SyncStatus.Started)
  await scheduler.whenIdle()
  let state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.same(state?.checkpoint, { page: 3 }, 'checkpoint is the last page whose events were written')
  t.equal(state?.availability, Availability.Error)
  t.equal(state?.last_result, 'error')
  t.equal(state?.running, null)
  t.equal(state?.last_success_at, null)
  t.match(state?.last_error, /ATL_HTTP_SERVER_ERROR/)
  t.notMatch(state?.last_error, 'jira-secret-token-value', 'no token in the stored error')
  t.notMatch(state?.last_error, 'admin@example.com', 'no email in the stored error')
  t.notMatch(state?.last_error, 'token=', 'no query string in the stored error')
  t.equal(state?.totals.records, 9)

  await scheduler.syncNow(site.id, SourceId.JiraAudit)
  await scheduler.whenIdle()
  t.same(connector.startedFrom, [0, 3], 'second run resumes at the checkpoint')
  state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.same(state?.checkpoint, { page: 5 })
  t.equal(state?.availability, Availability.Ok)
  t.equal(state?.last_error, null, 'a success clears the error')
  t.ok(state?.last_success_at instanceof Date)
  t.equal(state?.totals.runs, 2)
  t.equal(state?.totals.inserted, 15)
  t.equal(mem.seen.size, 15)
  t.ok([...mem.seen.values()].every((n) => n === 1), 'nothing re-read after a failure')
  const leases = await scheduler.leases.active()
  t.equal(leases.size, 0, 'lease released at the end of each run')
})

t.test('commitCheckpoint waits for the page\'s ingest and refuses after a failed ingest', async (t) => {
  const { db } = await openTestDb(t)
  const site = fakeSite('order.example')
  const order: string[] = []
  let failIngest = false
  const ingest = async (drafts: unknown[]): Promise<{ received: number, inserted: number, alreadyPresent: number, skippedTooOld: number, rejected: number }> => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    if (failIngest) { order.push('ingest-failed'); throw new Error('write failed') }
    const stored = await db.collection('connector_state').findOne({ _id: stateKey(site.id, SourceId.JiraAudit) as never })
    order.push(`ingest-done checkpoint=${JSON.stringify(stored?.checkpoint ?? null)}`)
    return { received: drafts.length, inserted: drafts.length, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 }
  }
  let commitError: unknown = null
  const connector = {
    source: SourceId.JiraAudit,
    label: 'careless connector',
    notConfiguredReason: () => null,
    async run (ctx: Parameters<ConnectorEntry['connector']['run']>[0]) {
      // Deliberately does not await ingest before committing: the context must order them.
      void ctx.ingest([]).catch(() => {})
      await ctx.commitCheckpoint({ page: 1 })
      order.push('committed page 1')
      failIngest = true
      void ctx.ingest([]).catch(() => {})
      try {
        await ctx.commitCheckpoint({ page: 2 })
      } catch (err) {
        commitError = err
      }
      return { availability: Availability.Ok, pages: 2, records: 0, inserted: 0 }
    }
  }
  const scheduler = createScheduler({ db, entries: [{ site, connector }], ingest: ingest as never, logger, intervalMs: INTERVAL })
  t.teardown(scheduler.close)
  await scheduler.init()
  await scheduler.syncNow()
  await scheduler.whenIdle()
  t.same(order, ['ingest-done checkpoint=null', 'committed page 1', 'ingest-failed'])
  t.match(commitError, { code: 'ATL_SYNC_CHECKPOINT_ORDER' })
  const state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.same(state?.checkpoint, { page: 1 }, 'the checkpoint did not move past events that were not written')
})

t.test('a failing or hanging source never blocks the others', async (t) => {
  const { db } = await openTestDb(t)
  const site = fakeSite('many.example')
  const hang = gate()
  const failing = pagedConnector({ source: SourceId.JiraAudit, pages: 2, failAt: 0 })
  const hanging = pagedConnector({ source: SourceId.ConfluenceAudit, pages: 2, beforePage: async () => { await hang.wait } })
  const healthy = pagedConnector({ source: SourceId.JiraActivity, pages: 2 })
  const mem = memoryIngest()
  const scheduler = createScheduler({
    db,
    entries: [failing, hanging, healthy].map((connector) => ({ site, connector })),
    ingest: mem.ingest,
    logger,
    intervalMs: INTERVAL
  })
  t.teardown(async () => { hang.open(); await scheduler.close() })
  await scheduler.init()
  const items = await scheduler.tick()
  t.same(items.map((i) => i.status), [SyncStatus.Started, SyncStatus.Started, SyncStatus.Started])
  // The healthy source finishes while the hanging one is still stuck on its first page.
  for (let i = 0; i < 200 && (await scheduler.states.get(site.id, SourceId.JiraActivity))?.last_result !== 'ok'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.equal((await scheduler.states.get(site.id, SourceId.JiraActivity))?.last_result, 'ok')
  t.equal((await scheduler.states.get(site.id, SourceId.JiraAudit))?.last_result, 'error')
  t.equal(scheduler.isRunningHere(site.id, SourceId.ConfluenceAudit), true)
  t.equal((await scheduler.syncNow(site.id, SourceId.ConfluenceAudit))[0]?.status, SyncStatus.AlreadyRunning, 'sync now reports the run in progress')
  hang.open()
  await scheduler.whenIdle()
  t.equal((await scheduler.states.get(site.id, SourceId.ConfluenceAudit))?.last_result, 'ok')
})

t.test('two schedulers on one store: one run per source at a time, and once per interval', async (t) => {
  const { db } = await openTestDb(t)
  let clock = Date.parse('2026-03-01T00:00:00Z')
  const now = (): Date => new Date(clock)
  const site = fakeSite('shared.example')
  const hold = gate()
  const mk = (): ConnectorEntry[] => [
    { site, connector: pagedConnector({ source: SourceId.JiraAudit, pages: 1, beforePage: async () => { await hold.wait } }) },
    { site, connector: pagedConnector({ source: SourceId.ConfluenceAudit, pages: 1, beforePage: async () => { await hold.wait } }) }
  ]
  const entriesA = mk()
  const entriesB = mk()
  const a = createScheduler({ db, entries: entriesA, ingest: memoryIngest().ingest, logger, intervalMs: INTERVAL, holderId: 'A', now })
  const b = createScheduler({ db, entries: entriesB, ingest: memoryIngest().ingest, logger, intervalMs: INTERVAL, holderId: 'B', now })
  t.teardown(async () => { hold.open(); await a.close(); await b.close() })
  await Promise.all([a.init(), b.init()])

  // Both timers fire in the same instant.
  const [ra, rb] = await Promise.all([a.tick(), b.tick()])
  const startedBy = (items: typeof ra): number => items.filter((i) => i.status === SyncStatus.Started).length
  t.equal(startedBy(ra) + startedBy(rb), 2, 'each source started exactly once across both instances')
  t.ok([...ra, ...rb].filter((i) => i.status !== SyncStatus.Started).every((i) => i.status === SyncStatus.RunningElsewhere))
  const manual = await b.syncNow()
  t.ok(manual.every((i) => i.status === SyncStatus.RunningElsewhere || i.status === SyncStatus.AlreadyRunning), 'sync now on either instance reports the run in progress')
  hold.open()
  await Promise.all([a.whenIdle(), b.whenIdle()])

  // The other instance's timer fires a little later in the same interval: nothing is due.
  clock += 60_000
  const later = [...await a.tick(), ...await b.tick()]
  t.ok(later.every((i) => i.status === SyncStatus.NotDue), 'no second run in the same interval')
  const runs = (): number => [...entriesA, ...entriesB].reduce((n, e) => n + (e.connector as unknown as { runs: number }).runs, 0)
  t.equal(runs(), 2)

  // Next interval: B's timer fires first and runs both; A then finds nothing due.
  clock += INTERVAL
  const next = await b.tick()
  t.equal(startedBy(next), 2)
  await b.whenIdle()
  t.equal(startedBy(await a.tick()), 0)
  t.equal(runs(), 4, 'every source ran once per interval, not twice')
})

t.test('a dead holder\'s lease is taken over after it expires', async (t) => {
  const { db } = await openTestDb(t)
  let clock = Date.parse('2026-03-01T00:00:00Z')
  const now = (): Date => new Date(clock)
  const site = fakeSite('takeover.example')
  const connector = pagedConnector({ source: SourceId.JiraAudit, pages: 2 })
  const scheduler = createScheduler({ db, entries: [{ site, connector }], ingest: memoryIngest().ingest, logger, intervalMs: INTERVAL, holderId: 'alive', leaseTtlMs: 30_000, now })
  t.teardown(scheduler.close)
  await scheduler.init()
  const key = stateKey(site.id, SourceId.JiraAudit)
  // A crashed instance left its lease and its "running" marker behind.
  t.equal(await scheduler.leases.acquire(key, 'crashed'), true)
  await scheduler.states.startRun(site.id, SourceId.JiraAudit, { holder: 'crashed', trigger: 'timer', started_at: now(), heartbeat_at: now(), pages: 1, records: 3, inserted: 3, window: null }, now())
  t.equal((await scheduler.syncNow())[0]?.status, SyncStatus.RunningElsewhere)
  clock += 31_000
  t.equal((await scheduler.syncNow())[0]?.status, SyncStatus.Started, 'taken over once the lease expired')
  await scheduler.whenIdle()
  const state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.equal(state?.last_result, 'ok')
  t.equal(state?.running, null)
})

t.test('cancel aborts a local run; close waits for the page in flight', async (t) => {
  const { db } = await openTestDb(t)
  const site = fakeSite('cancel.example')
  const reached = gate()
  const connector = pagedConnector({
    source: SourceId.JiraAudit,
    pages: 100,
    beforePage: async (i, ctx) => {
      if (i === 2) reached.open()
      // A page waits until cancelled, like a slow HTTP request honouring the signal.
      if (i >= 2) await new Promise<void>((resolve, reject) => { ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }, { once: true }) })
    }
  })
  const scheduler = createScheduler({ db, entries: [{ site, connector }], ingest: memoryIngest().ingest, logger, intervalMs: INTERVAL })
  t.teardown(scheduler.close)
  await scheduler.init()
  await scheduler.syncNow()
  await reached.wait
  const cancelled = await scheduler.cancel(site.id, SourceId.JiraAudit)
  t.same(cancelled, [{ site: site.id, source: SourceId.JiraAudit, cancelled: true }])
  await scheduler.whenIdle()
  const state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.equal(state?.last_result, 'cancelled')
  t.equal(state?.availability, Availability.Ok, 'a cancel says nothing about the source\'s health')
  t.match(state?.last_error, /cancelled by an operator/)
  t.same(state?.checkpoint, { page: 2 })
  t.equal((await scheduler.leases.active()).size, 0)

  // Close during a slow ingest: the page finishes and is checkpointed before close resolves.
  const { db: db2 } = await openTestDb(t)
  const inIngest = gate()
  const slow = memoryIngest(200)
  const s2 = createScheduler({
    db: db2,
    entries: [{ site, connector: pagedConnector({ source: SourceId.JiraAudit, pages: 100, beforePage: async (i) => { if (i === 1) inIngest.open() } }) }],
    ingest: slow.ingest,
    logger,
    intervalMs: INTERVAL
  })
  await s2.init()
  await s2.syncNow()
  await inIngest.wait
  await s2.close()
  const st2 = await s2.states.get(site.id, SourceId.JiraAudit)
  t.same(st2?.checkpoint, { page: 2 }, 'the in-flight page was written and committed')
  t.equal(slow.seen.size, 6)
  t.equal(st2?.last_result, 'cancelled')
  t.match(st2?.last_error, /shutting down/)
})

t.test('sources without credentials are not configured, not errors', async (t) => {
  const { db } = await openTestDb(t)
  const site = fakeSite('bare.example', false)
  const connector = pagedConnector({ source: SourceId.JiraAudit, pages: 1 })
  const scheduler = createScheduler({ db, entries: [{ site, connector }], ingest: memoryIngest().ingest, logger, intervalMs: INTERVAL })
  t.teardown(scheduler.close)
  await scheduler.init()
  const [item] = await scheduler.tick()
  t.equal(item?.status, SyncStatus.NotConfigured)
  t.equal(item?.reason, 'No Jira API token configured')
  t.equal(connector.runs, 0)
  const state = await scheduler.states.get(site.id, SourceId.JiraAudit)
  t.equal(state?.availability, Availability.NotConfigured)
  t.equal(state?.last_error, null)
})

import t from 'tap'
import { createLeaseStore } from '../../src/scheduler/lease-store.js'
import { openTestDb } from './test-db.js'

t.test('a lease has one holder until it expires, then it can be taken over', async (t) => {
  const { db } = await openTestDb(t)
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const now = (): Date => new Date(clock)
  const leases = createLeaseStore(db, { ttlMs: 30_000, now })

  t.equal(await leases.acquire('site|jira-audit', 'a'), true, 'first holder acquires')
  t.equal(await leases.acquire('site|jira-audit', 'b'), false, 'second holder is refused while the lease is live')
  t.equal(await leases.acquire('site|jira-audit', 'a'), true, 'the holder may re-acquire its own lease')
  t.equal(await leases.acquire('site|confluence-audit', 'b'), true, 'another key is independent')

  clock += 20_000
  t.equal(await leases.renew('site|jira-audit', 'a'), true, 'holder renews')
  clock += 20_000
  t.equal(await leases.acquire('site|jira-audit', 'b'), false, 'renewal pushed the expiry out')

  clock += 31_000 // a stopped renewing (died)
  t.equal(await leases.acquire('site|jira-audit', 'b'), true, 'b takes over the expired lease')
  t.equal(await leases.renew('site|jira-audit', 'a'), false, 'the old holder learns it lost the lease')
  const active = await leases.active()
  t.equal(active.get('site|jira-audit')?.holder, 'b')

  await leases.release('site|jira-audit', 'a')
  t.equal((await leases.active()).get('site|jira-audit')?.holder, 'b', 'a stale holder cannot release someone else\'s lease')
  await leases.release('site|jira-audit', 'b')
  t.equal(await leases.acquire('site|jira-audit', 'c'), true, 'a released lease is free at once')
})

t.test('concurrent acquires of one free lease: exactly one wins', async (t) => {
  const { db } = await openTestDb(t)
  const leases = createLeaseStore(db, { ttlMs: 30_000 })
  const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => await leases.acquire('race', `h${i}`)))
  t.equal(results.filter(Boolean).length, 1)
})

import t from 'tap'
import { createOrgEventsConnector } from '../../../src/connectors/org-admin/org-events-connector.js'
import { ApiName } from '../../../src/connectors/client-factory.js'
import { DAY, startHarness } from './sync-harness.js'

t.test('Guard on: exactly the ground truth with default faults, sign-ins and Bitbucket audit arrive, re-run and resume', async (t) => {
  const h = await startHarness(t, { guard: true, faults: 'default' })
  const connector = createOrgEventsConnector({ clientFor: (site) => h.clients.json(site, ApiName.Admin) })
  const now = h.sim.handle.clock.now()
  const from = new Date(now.getTime() - 300 * DAY)

  const first = await h.run(connector)
  t.equal(first.availability, 'ok')
  const truth = h.sim.handle.groundTruth(from, now)['org-events'] ?? 0
  t.ok(truth > 50, `the simulator holds org events (${truth})`)
  t.equal(await h.count('org-events', from, now), truth, 'every org event once')
  t.ok(h.checkpoints.get('org-events')?.cursor, 'the last cursor is the checkpoint')

  const events = h.db.collection('events')
  t.ok(await events.countDocuments({ source: 'org-events', operation: 'login', product: 'admin' }) > 0, 'sign-in events arrive')
  const bb = await events.findOne({ source: 'org-events', product: 'bitbucket' })
  t.ok(bb, 'Bitbucket audit events arrive')
  t.equal(bb?.pipeline, 'audit')
  t.match(bb?.object?.url, /^https:\/\/bitbucket\.org\/acme\//)
  const login = await events.findOne({ source: 'org-events', operation: 'login' })
  t.match(login?.source_ip, /^192\.0\.2\.\d+$/, 'source_ip from location.ip')
  t.ok(await h.db.collection('group_memberships').countDocuments({ source: 'audit' }) > 0, 'membership events feed teams')

  const second = await h.run(connector)
  t.equal(second.inserted, 0, 'resuming from the stored cursor inserts nothing')
  t.equal(second.availability, 'ok')

  h.sim.handle.clock.advance(2 * DAY)
  const later = h.sim.handle.clock.now()
  const third = await h.run(connector)
  const truthLater = h.sim.handle.groundTruth(from, later)['org-events'] ?? 0
  t.ok(truthLater > truth, 'new org events exist')
  t.equal(third.inserted, truthLater - truth, 'the next poll picks up exactly the new events')
  t.equal(await h.count('org-events', from, later), truthLater)

  const emails = await events.countDocuments({ $or: [{ summary: /@/ }, { 'object.name': /@/ }] })
  t.equal(emails, 0, 'no email in any stored event')
  const plaintext = await h.db.collection('identities').countDocuments({ email: { $exists: true } })
  t.equal(plaintext, 0, 'identities hold encrypted emails only')
  t.ok(await h.db.collection('identities').countDocuments({ email_enc: { $exists: true } }) > 0, 'actor emails arrived encrypted')
})

t.test('Guard off: unavailable with the reason, and not one org event stored', async (t) => {
  const h = await startHarness(t, { guard: false, faults: 'default' })
  const connector = createOrgEventsConnector({ clientFor: (site) => h.clients.json(site, ApiName.Admin) })
  const outcome = await h.run(connector)
  t.equal(outcome.availability, 'unavailable')
  t.match(outcome.reason, /requires Atlassian Guard/)
  t.match(outcome.reason, /HTTP 403/, 'says what was seen')
  t.equal(outcome.inserted, 0)
  t.equal(await h.db.collection('events').countDocuments({ source: 'org-events' }), 0)
  t.equal(h.checkpoints.get('org-events'), undefined, 'no checkpoint moved')
})

t.test('no org key: not configured, with the Guard reason, and no request made', async (t) => {
  const h = await startHarness(t, { faults: 'none', site: { orgApiKey: null } })
  const connector = createOrgEventsConnector({ clientFor: () => { throw new Error('must not build a client') } })
  t.match(connector.notConfiguredReason(h.site), /org API key.*requires Atlassian Guard/)
  const outcome = await h.run(connector)
  t.equal(outcome.availability, 'not_configured')
  t.match(outcome.reason, /requires Atlassian Guard/)
  t.equal(h.sim.handle.stats().requests, 0)
})

t.test('an org whose stream is empty is treated as lacking Guard: nothing invented', async (t) => {
  const h = await startHarness(t, { faults: 'none' })
  const connector = createOrgEventsConnector({
    clientFor: () => ({ get: async <T>() => ({ data: [], meta: { next: 'c1' }, links: {} }) as T })
  })
  const outcome = await h.run(connector)
  t.equal(outcome.availability, 'unavailable')
  t.match(outcome.reason, /requires Atlassian Guard.*no events/)
  t.equal(await h.db.collection('events').countDocuments({}), 0)
})

t.test('a stored cursor the server refuses re-opens the stream from the time watermark, without gaps or duplicates', async (t) => {
  const h = await startHarness(t, { faults: 'none' })
  const connector = createOrgEventsConnector({ clientFor: (site) => h.clients.json(site, ApiName.Admin) })
  await h.run(connector)
  const stored = h.checkpoints.get('org-events') as { cursor: string, lastProcessedAt: number }
  t.ok(stored.lastProcessedAt > 0)
  h.checkpoints.set('org-events', { ...stored, cursor: 'not-a-cursor' })
  h.sim.handle.clock.advance(DAY)
  const outcome = await h.run(connector)
  t.equal(outcome.availability, 'ok')
  const now = h.sim.handle.clock.now()
  const from = new Date(now.getTime() - 300 * DAY)
  t.equal(await h.count('org-events', from, now), h.sim.handle.groundTruth(from, now)['org-events'])
  t.not((h.checkpoints.get('org-events') as { cursor: string }).cursor, 'not-a-cursor', 'a fresh cursor is stored')
})

t.test('cancelled mid-sweep, the next run resumes from the stored cursor and ends with exact counts', async (t) => {
  const h = await startHarness(t, { faults: 'default' })
  const abort = new AbortController()
  let requests = 0
  const connector = createOrgEventsConnector({
    pageSize: 50,
    clientFor: (site) => {
      const api = h.clients.json(site, ApiName.Admin)
      return { get: async (path, query, opts) => { if (++requests === 4) abort.abort(new Error('killed')); return await api.get(path, query, opts) } }
    }
  })
  await t.rejects(h.run(connector, { signal: abort.signal }))
  const partial = await h.db.collection('events').countDocuments({ source: 'org-events' })
  t.ok(partial > 0, `pages before the cancel are stored (${partial})`)
  t.ok(h.checkpoints.get('org-events')?.cursor, 'the cursor of the last written page is stored')
  t.equal((await h.run(connector)).availability, 'ok')
  const now = h.sim.handle.clock.now()
  const from = new Date(now.getTime() - 300 * DAY)
  t.equal(await h.count('org-events', from, now), h.sim.handle.groundTruth(from, now)['org-events'])
})

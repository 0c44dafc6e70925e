import t from 'tap'
import { createBitbucketConnector } from '../../../src/connectors/bitbucket/bitbucket-connector.js'
import { ApiName } from '../../../src/connectors/client-factory.js'
import { DAY, startHarness } from '../org-admin/sync-harness.js'

// One backfill serves every assertion: ingest into the real store dominates this file's time.
t.test('Bitbucket activity against the simulator with default faults', async (t) => {
  const h = await startHarness(t, { faults: 'default' })
  const abort = new AbortController()
  let killAt: number | null = 2
  const connector = createBitbucketConnector({
    pageSize: 20,
    clientFor: (site) => {
      const api = h.clients.json(site, ApiName.Bitbucket)
      // Killed while following a next link of the second repository's commits: a walk is mid-way.
      return {
        get: async (path, query, opts) => {
          if (killAt !== null && /\/commits\?.*page=2/.test(path) && --killAt === 0) abort.abort(new Error('killed'))
          return await api.get(path, query, opts)
        }
      }
    }
  })
  const now = h.sim.handle.clock.now()
  const from = new Date(now.getTime() - 300 * DAY)
  const truth = h.sim.handle.groundTruth(from, now)['bitbucket-activity'] ?? 0
  t.ok(truth > 50, `the simulator holds Bitbucket activity (${truth})`)

  await t.rejects(h.run(connector, { signal: abort.signal }), 'the cancelled run stops')
  killAt = null
  const partial = await h.db.collection('events').countDocuments({ source: 'bitbucket-activity' })
  t.ok(partial > 0 && partial < truth, `pages before the cancel are stored (${partial})`)
  const cp = h.checkpoints.get('bitbucket-activity') as { repos: Array<{ streams: Record<string, { resume: unknown }> }> } | undefined
  t.ok(cp?.repos.some((r) => Object.values(r.streams).some((s) => s.resume !== null)), 'a walk in progress is checkpointed')

  const resumed = await h.run(connector)
  t.equal(resumed.availability, 'ok')
  t.equal(await h.count('bitbucket-activity', from, now), truth, 'every commit and PR activity item once')

  const second = await h.run(connector)
  t.equal(second.inserted, 0, 'a second run inserts nothing')

  h.sim.handle.clock.advance(3 * DAY)
  const later = h.sim.handle.clock.now()
  const third = await h.run(connector)
  const truthLater = h.sim.handle.groundTruth(from, later)['bitbucket-activity'] ?? 0
  t.ok(truthLater > truth, 'the simulator produced new activity')
  t.equal(third.inserted, truthLater - truth, 'only the new activity is inserted')
  t.equal(await h.count('bitbucket-activity', from, later), truthLater)

  const events = h.db.collection('events')
  const ops = await events.distinct('operation', { source: 'bitbucket-activity' })
  for (const op of ['commit_pushed', 'pr_opened', 'pr_merged', 'pr_approved', 'pr_commented']) t.ok(ops.includes(op), `has ${op}`)
  const merged = await events.findOne({ source: 'bitbucket-activity', operation: 'pr_merged' })
  t.match(merged?.object?.url, /^https:\/\/bitbucket\.org\/acme\/[\w.-]+\/pull-requests\/\d+$/)
  t.equal(merged?.product, 'bitbucket')
  t.equal(await h.db.collection('identities').countDocuments({ email: { $exists: true } }), 0, 'commit author emails are never plaintext')
  t.ok(await h.db.collection('identities').countDocuments({ email_enc: { $type: 'string' } }) > 0, 'commit author emails are stored encrypted')
  t.ok(await h.db.collection<{ _id: string }>('identities').countDocuments({ _id: { $regex: /^unlinked:/ } }) > 0, 'unlinked commit authors get a keyed pseudonym')
})

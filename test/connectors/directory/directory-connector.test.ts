import t from 'tap'
import { createDirectoryConnector } from '../../../src/connectors/directory/directory-connector.js'
import { ApiName } from '../../../src/connectors/client-factory.js'
import { DAY, startHarness, type Harness } from '../org-admin/sync-harness.js'

const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/

/** What the simulator's Jira group API says right now, read directly (the reference the connector must mirror). */
async function groupsNow (h: Harness): Promise<Map<string, string[]>> {
  const auth = { authorization: 'Basic ' + Buffer.from(`${h.sim.handle.credentials.email}:${h.sim.handle.credentials.token}`).toString('base64') }
  const get = async (path: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const res = await fetch(`${h.sim.url}${path}`, { headers: auth })
      if (res.ok) return await res.json() as Record<string, unknown>
    }
  }
  const out = new Map<string, string[]>()
  const groups = (await get('/rest/api/3/group/bulk?maxResults=50')).values as Array<{ name: string, groupId: string }>
  for (const g of groups) {
    const ids: string[] = []
    for (let startAt = 0; ; startAt += 50) {
      const page = await get(`/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=true&maxResults=50&startAt=${startAt}`)
      ids.push(...(page.values as Array<{ accountId: string }>).map((u) => u.accountId))
      if (page.isLast !== false) break
    }
    out.set(g.name, ids.sort())
  }
  return out
}

t.test('the directory fills identities and memberships; removals remove; emails never in plaintext', async (t) => {
  const h = await startHarness(t, { faults: 'default' })
  const connector = createDirectoryConnector({ clientFor: (site, api) => h.clients.json(site, api === 'admin' ? ApiName.Admin : ApiName.Jira) })
  const outcome = await h.run(connector)
  t.equal(outcome.availability, 'ok')
  t.equal(outcome.inserted, 0, 'the directory writes state, not events')
  t.equal(await h.db.collection('events').countDocuments({}), 0)

  const identities = h.db.collection('identities')
  const people = await identities.countDocuments({})
  t.ok(people >= 20, `identities for every user (${people})`)
  t.equal(await identities.countDocuments({ display_name: { $type: 'string' } }), people, 'each has a display name')
  t.ok(await identities.countDocuments({ account_status: 'inactive' }) > 0, 'deactivated accounts are marked')
  t.ok(await identities.countDocuments({ account_status: 'active' }) > 0)
  t.ok(await identities.countDocuments({ 'last_active.jira': { $type: 'date' } }) > 0, 'last active per product from the admin API')
  t.ok(await identities.countDocuments({ email_enc: { $type: 'string' } }) > 0, 'emails the admin API gives are stored encrypted')

  const expected = await groupsNow(h)
  t.ok(expected.size >= 2, 'the simulator has groups')
  for (const [group, ids] of expected) t.same(await h.teams.listMembers(h.site.id, group), ids, `members of ${group}`)

  // Let the org change: membership changes happen over simulated time, and the next snapshot must follow them.
  h.sim.handle.clock.advance(20 * DAY)
  const later = await groupsNow(h)
  const changed = [...later].filter(([g, ids]) => JSON.stringify(ids) !== JSON.stringify(expected.get(g)))
  t.ok(changed.length > 0, 'membership changed in the simulated org')
  await h.run(connector)
  for (const [group, ids] of later) t.same(await h.teams.listMembers(h.site.id, group), ids, `members of ${group} after the change`)

  // No collection may hold a plaintext email anywhere.
  for (const { name } of await h.db.listCollections().toArray()) {
    const docs = await h.db.collection(name).find({}).toArray()
    const hits = docs.filter((d) => EMAIL.test(JSON.stringify(d)))
    t.equal(hits.length, 0, `no plaintext email in ${name}`)
  }
})

t.test('not configured without org key and without Jira; a missing sink is a coded error', async (t) => {
  const h = await startHarness(t, { faults: 'none', site: { orgApiKey: null, jiraApiToken: null } })
  const connector = createDirectoryConnector({ clientFor: () => { throw new Error('no client expected') } })
  t.match(connector.notConfiguredReason(h.site), /org API key|Jira/)
  t.equal((await h.run(connector)).availability, 'not_configured')
  const configured = { ...h.site, jiraApiToken: 'x' }
  await t.rejects(connector.run({
    site: configured, logger: (await import('pino')).default({ level: 'silent' }), signal: new AbortController().signal, now: () => new Date(),
    checkpoint: null, ingest: async () => ({ received: 0, inserted: 0, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 }),
    commitCheckpoint: async () => {}, progress: () => {}
  }), { code: 'ATL_DIRECTORY_SINK_MISSING' })
})

t.test('without an org key the directory comes from Jira alone (users and groups)', async (t) => {
  const h = await startHarness(t, { faults: 'none', site: { orgApiKey: null } })
  const connector = createDirectoryConnector({ clientFor: (site, api) => h.clients.json(site, api === 'admin' ? ApiName.Admin : ApiName.Jira) })
  t.equal(connector.notConfiguredReason(h.site), null)
  t.equal((await h.run(connector)).availability, 'ok')
  t.ok(await h.db.collection('identities').countDocuments({}) >= 20)
  const expected = await groupsNow(h)
  for (const [group, ids] of expected) t.same(await h.teams.listMembers(h.site.id, group), ids, `members of ${group}`)
})

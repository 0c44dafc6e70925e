import t from 'tap'
import { startSimulator } from '../../src/simulator/index.js'
import { countWalked, createFetcher, DEFAULT_AUTH, walkAll } from './walk-helpers.js'

const NOW = new Date('2026-06-01T00:00:00Z')

t.test('a full walk of every endpoint finds exactly the ground truth (small org, no faults)', async (t) => {
  const sim = await startSimulator({ seed: 11, size: 'small', now: NOW })
  t.teardown(sim.close)
  const walked = await walkAll(createFetcher(sim.url, DEFAULT_AUTH), DEFAULT_AUTH, true)

  t.test('whole history', async (t) => {
    // worklog/updated hides the minute before now, as Jira does: compare up to two minutes before now.
    const to = new Date(NOW.getTime() - 120_000)
    const res = await fetch(`${sim.url}/_simulator/ground-truth?to=${to.toISOString()}`)
    const truth = await res.json() as { window: { from: string, to: string }, sources: Record<string, number> }
    t.equal(truth.window.to, to.toISOString())
    t.same(countWalked(walked, Date.parse(truth.window.from), to.getTime()), truth.sources)
    t.same(sim.handle.groundTruth(undefined, to), truth.sources, 'handle and endpoint agree')
    for (const [source, n] of Object.entries(truth.sources)) t.ok(n > 10, `${source} has records (${n})`)
    const total = Object.values(truth.sources).reduce((a, b) => a + b, 0)
    t.ok(total > 2000 && total < 5000, `small org holds a few thousand records (${total})`)
  })

  t.test('windows count by event time', async (t) => {
    const from = new Date('2026-03-01T00:00:00Z')
    const to = new Date('2026-04-01T00:00:00Z')
    const res = await fetch(`${sim.url}/_simulator/ground-truth?from=${from.toISOString()}&to=${to.toISOString()}`)
    const truth = await res.json() as { sources: Record<string, number> }
    t.same(countWalked(walked, from.getTime(), to.getTime()), truth.sources)
    const whole = sim.handle.groundTruth()
    for (const k of Object.keys(whole)) t.ok(truth.sources[k]! < whole[k]!, `${k}: a month is less than the year`)
  })
})

t.test('Guard off: events endpoints answer 403 in the admin error model, users still work, org-events counts 0', async (t) => {
  const sim = await startSimulator({ seed: 3, guard: false, now: NOW })
  t.teardown(sim.close)
  const headers = { authorization: 'Bearer sim-org-key' }
  for (const path of ['events-stream', 'events']) {
    const res = await fetch(`${sim.url}/admin/v1/orgs/sim-org/${path}`, { headers })
    t.equal(res.status, 403, path)
    const body = await res.json() as { errors: Array<Record<string, string>> }
    t.equal(body.errors[0]!.status, '403')
    t.match(body.errors[0], { id: String, code: /^ADMIN-403/, title: 'Forbidden', detail: /Guard/ })
  }
  const users = await fetch(`${sim.url}/admin/v1/orgs/sim-org/users`, { headers })
  t.equal(users.status, 200)
  const ub = await users.json() as { data: Array<Record<string, unknown>> }
  t.equal(ub.data.length, 40)
  t.ok(ub.data.some((u) => u.email === undefined), 'some users have no email property')
  t.ok(ub.data.some((u) => typeof u.email === 'string'), 'others carry an email')
  t.equal(sim.handle.groundTruth()['org-events'], 0)
  t.ok(sim.handle.groundTruth()['jira-audit']! > 0)
})

import t from 'tap'
import { buildSimulator, GROUND_TRUTH_SOURCES } from '../../src/simulator/index.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const total = (gt: Record<string, number>): number => Object.values(gt).reduce((a, b) => a + b, 0)

t.test('sizes: small is a few thousand records, explicit counts are honoured', async (t) => {
  const small = await buildSimulator({ now: NOW })
  t.teardown(() => small.close())
  const s = total(small.simulator.groundTruth())
  t.ok(s > 2400 && s < 3600, `small: ${s}`)
  const custom = await buildSimulator({ now: NOW, size: { people: 120, events: 40_000 } })
  t.teardown(() => custom.close())
  const gt = custom.simulator.groundTruth()
  t.same(Object.keys(gt), [...GROUND_TRUTH_SOURCES])
  const c = total(gt)
  t.ok(c > 34_000 && c < 46_000, `explicit 40k: ${c}`)
  const users = await custom.inject({ url: '/rest/api/3/users/search?maxResults=1000', headers: { authorization: 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64') } })
  t.equal(users.json().length, 120)
})

import t from 'tap'
import { parseCliArgs } from '../../src/simulator/cli-args.js'
import { startSimulator } from '../../src/simulator/index.js'

t.test('flags map to simulator options', async (t) => {
  const c = parseCliArgs(['--port', '9001', '--seed', '7', '--size', 'medium', '--guard', 'off', '--faults', 'heavy', '--email', 'e@x.test', '--token', 'T', '--org-key=K', '--hostile', '--now', '2026-01-01T00:00:00Z'])
  t.equal(c.port, 9001)
  t.match(c.options, { seed: 7, size: 'medium', guard: false, faults: 'heavy', hostile: true, credentials: { email: 'e@x.test', token: 'T', orgKey: 'K' } })
  t.equal(c.options.now?.toISOString(), '2026-01-01T00:00:00.000Z')
  t.same(parseCliArgs(['--people', '10', '--events', '500']).options.size, { people: 10, events: 500 })
  t.match(parseCliArgs([]), { port: 8900, options: { seed: 1, size: 'small', guard: true, faults: 'none', hostile: false } })
})

t.test('bad flags are rejected with a coded error', async (t) => {
  for (const argv of [['--size', 'huge'], ['--guard', 'maybe'], ['--faults', 'all'], ['--seed', 'x'], ['--nope'], ['--port'], ['--now', 'yesterday']]) {
    t.throws(() => parseCliArgs(argv), { code: 'ATL_SIM_OPTIONS_INVALID' }, argv.join(' '))
  }
})

t.test('the parsed options start a simulator that accepts exactly those credentials', async (t) => {
  const { options } = parseCliArgs(['--email', 'cli@x.test', '--token', 'cli-token', '--org-key', 'cli-key', '--guard', 'off'])
  const sim = await startSimulator(options)
  t.teardown(sim.close)
  const ok = await fetch(`${sim.url}/rest/api/3/myself`, { headers: { authorization: 'Basic ' + Buffer.from('cli@x.test:cli-token').toString('base64') } })
  t.equal(ok.status, 200)
  const bad = await fetch(`${sim.url}/rest/api/3/myself`, { headers: { authorization: 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64') } })
  t.equal(bad.status, 401)
  t.equal((await fetch(`${sim.url}/admin/v1/orgs/sim-org/events`, { headers: { authorization: 'Bearer cli-key' } })).status, 403)
})

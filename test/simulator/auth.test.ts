import t from 'tap'
import { startSimulator } from '../../src/simulator/index.js'

const basic = (user: string, pass: string): string => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')

t.test('only the configured credentials are accepted, with each product\'s 401 shape', async (t) => {
  const sim = await startSimulator({ credentials: { email: 'ops@acme.test', token: 'tok-1', orgKey: 'key-1' }, orgId: 'org-9', workspace: 'ws9' })
  t.teardown(sim.close)
  const good = basic('ops@acme.test', 'tok-1')
  const cases: Array<[string, Record<string, string>, number, (b: any) => boolean]> = [
    ['/rest/api/3/myself', {}, 401, (b) => Array.isArray(b.errorMessages)],
    ['/rest/api/3/myself', { authorization: basic('ops@acme.test', 'wrong') }, 401, (b) => Array.isArray(b.errorMessages)],
    ['/rest/api/3/myself', { authorization: basic('admin@example.com', 'tok-1') }, 401, (b) => Array.isArray(b.errorMessages)],
    ['/rest/api/3/myself', { authorization: 'Bearer tok-1' }, 401, (b) => Array.isArray(b.errorMessages)],
    ['/rest/api/3/myself', { authorization: good }, 200, (b) => typeof b.accountId === 'string'],
    ['/wiki/rest/api/audit', { authorization: basic('x', 'y') }, 401, (b) => b.statusCode === 401 && typeof b.message === 'string'],
    ['/wiki/api/v2/spaces', { authorization: basic('x', 'y') }, 401, (b) => b.errors[0].status === 401],
    ['/wiki/api/v2/spaces', { authorization: good }, 200, (b) => Array.isArray(b.results)],
    ['/2.0/repositories/ws9', {}, 401, (b) => b.type === 'error' && typeof b.error.message === 'string'],
    ['/2.0/repositories/ws9', { authorization: good }, 200, (b) => Array.isArray(b.values)],
    ['/2.0/repositories/ws9', { authorization: 'Bearer tok-1' }, 200, (b) => Array.isArray(b.values)],
    ['/2.0/repositories/ws9', { authorization: 'Bearer key-1' }, 401, (b) => b.type === 'error'],
    ['/admin/v1/orgs/org-9/users', { authorization: good }, 401, (b) => b.errors[0].code === 'ADMIN-401'],
    ['/admin/v1/orgs/org-9/users', { authorization: 'Bearer tok-1' }, 401, (b) => b.errors[0].status === '401'],
    ['/admin/v1/orgs/org-9/users', { authorization: 'Bearer key-1' }, 200, (b) => Array.isArray(b.data)],
    ['/admin/v1/orgs/other/users', { authorization: 'Bearer key-1' }, 404, (b) => b.errors[0].code === 'ADMIN-404-2'],
    ['/2.0/repositories/other', { authorization: good }, 404, (b) => b.type === 'error']
  ]
  for (const [path, headers, status, shape] of cases) {
    const res = await fetch(sim.url + path, { headers })
    t.equal(res.status, status, `${path} ${headers.authorization?.slice(0, 6) ?? 'none'}`)
    t.ok(shape(await res.json()), `${path} body shape`)
  }
  t.equal(sim.handle.credentials.email, 'ops@acme.test')
})

t.test('the ground truth needs no auth; unknown paths 404', async (t) => {
  const sim = await startSimulator({ now: new Date('2026-06-01T00:00:00Z') })
  t.teardown(sim.close)
  t.equal((await fetch(`${sim.url}/_simulator/ground-truth`)).status, 200)
  t.equal((await fetch(`${sim.url}/nope`)).status, 404)
  t.equal((await fetch(`${sim.url}/_simulator/ground-truth?from=garbage`)).status, 400)
})

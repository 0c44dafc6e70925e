import t from 'tap'
import { buildSimulator } from '../../src/simulator/index.js'

const NOW = new Date('2026-06-01T00:00:00Z')
const BASIC = 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64')
const PATHS = [
  '/rest/api/3/auditing/record?limit=50',
  '/rest/api/3/search/jql?jql=' + encodeURIComponent('updated >= "2026-01-01 00:00" ORDER BY updated ASC') + '&fields=*all&expand=changelog&maxResults=20',
  '/rest/api/3/users/search?maxResults=100',
  '/rest/api/3/group/member?groupname=team-platform',
  '/wiki/rest/api/audit?limit=50',
  '/wiki/api/v2/pages?limit=50&sort=-modified-date',
  '/wiki/api/v2/blogposts?limit=50',
  '/2.0/repositories/acme/web-app/commits',
  '/2.0/repositories/acme/web-app/pullrequests/activity',
  '/admin/v1/orgs/sim-org/events?limit=50',
  '/admin/v1/orgs/sim-org/users'
]

async function snapshot (seed: number, hostile = false): Promise<string[]> {
  const app = await buildSimulator({ seed, now: NOW, hostile })
  try {
    const out: string[] = []
    for (const url of PATHS) {
      const res = await app.inject({ url, headers: { authorization: url.startsWith('/admin') ? 'Bearer sim-org-key' : BASIC } })
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
      // Error ids are random UUIDs by design; none of these are errors.
      out.push(res.body)
    }
    return out
  } finally { await app.close() }
}

t.test('one seed serves byte-identical data; another seed serves different data', async (t) => {
  const a = await snapshot(42)
  const b = await snapshot(42)
  t.same(b, a)
  const c = await snapshot(43)
  for (let i = 0; i < PATHS.length; i++) t.not(c[i], a[i], PATHS[i] ?? "")
  t.same((await buildSimulator({ seed: 42, now: NOW })).simulator.groundTruth(), (await buildSimulator({ seed: 42, now: NOW })).simulator.groundTruth())
})

t.test('the org looks like a real one: names, renames, deactivations, emails, JSM', async (t) => {
  const app = await buildSimulator({ seed: 42, now: NOW })
  t.teardown(() => app.close())
  const users = (await app.inject({ url: '/rest/api/3/users/search?maxResults=100', headers: { authorization: BASIC } })).json() as Array<Record<string, unknown>>
  t.equal(users.length, 40)
  t.ok(users.some((u) => /[ぁ-んァ-ン一-龯]|Sato|Suzuki|Tanaka|Takahashi|Watanabe|Ito|Yamamoto|Nakamura|Kobayashi|Kato|Yoshida|Yamada/.test(String(u.displayName))), 'Japanese names')
  t.ok(users.some((u) => u.active === false), 'deactivated people')
  t.ok(users.some((u) => typeof u.emailAddress === 'string') && users.some((u) => !('emailAddress' in u)), 'some Jira users expose email')
  const audit = (await app.inject({ url: '/rest/api/3/auditing/record?limit=1000', headers: { authorization: BASIC } })).json() as { records: Array<Record<string, any>> }
  const rename = audit.records.find((r) => r.summary === 'User updated')
  t.ok(rename, 'a rename is audited')
  const renamed = users.find((u) => u.accountId === rename!.objectItem.name)!
  t.equal(rename!.changedValues[0].changedTo, renamed.displayName, 'the newest name is current')
  t.not(rename!.changedValues[0].changedFrom, renamed.displayName)
  const added = audit.records.find((r) => r.summary === 'User added to group')!
  t.equal(added.objectItem.typeName, 'GROUP')
  t.ok(users.some((u) => u.accountId === added.associatedItems[0].id), 'membership subject is identifiable')
  t.ok(audit.records.some((r) => r.eventSource === 'Jira Service Management'), 'JSM audit records')
  const projects = (await app.inject({ url: '/rest/api/3/project/search?typeKey=service_desk', headers: { authorization: BASIC } })).json() as { values: Array<{ key: string }> }
  t.ok(projects.values.length >= 1, 'a service desk project')
  const commits = (await app.inject({ url: '/2.0/repositories/acme/web-app/commits', headers: { authorization: BASIC } })).json() as { values: Array<{ author: { raw: string } }> }
  t.ok(commits.values.every((c) => /^.+ <[^>]+@[^>]+>$/.test(c.author.raw)), 'commit authors carry emails')
})

t.test('hostile mode mixes hostile strings into names and titles', async (t) => {
  const bodies = (await snapshot(42, true)).join('\n')
  t.match(bodies, /<script>/)
  t.match(bodies, /\\u202e|\u202E/i)
  t.ok(bodies.includes('名前'.repeat(100)), 'a 10 kB name')
  const plain = (await snapshot(42)).join('\n')
  t.notMatch(plain, /<script>/)
})

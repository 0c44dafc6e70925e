import t from 'tap'
import { readFileSync } from 'node:fs'
import { mapAdminUser, mapJiraGroup, mapJiraUser, productOfKey } from '../../../src/connectors/directory/directory-mapper.js'

const page = JSON.parse(readFileSync(new URL('./fixtures/admin-users-page.json', import.meta.url), 'utf8')) as { data: unknown[] }

t.test('admin users: status, type, email for encryption and last active per product', async (t) => {
  const [sato, tanaka, corrupted, noId] = page.data.map(mapAdminUser)
  t.same(sato, {
    account_id: '557058:aaaa',
    display_name: 'Sato Haruka',
    email: 'haruka.sato@example.com',
    account_type: 'atlassian',
    account_status: 'active',
    last_active: {
      jira: new Date('2026-11-20T08:00:00.000Z'),
      jsm: new Date('2026-11-18T08:00:00.000Z'),
      confluence: new Date('2026-11-19T08:00:00.000Z')
    }
  })
  t.equal(tanaka?.account_status, 'inactive')
  t.equal(tanaka?.email, null, 'a restricted email is absent, never guessed')
  t.same(tanaka?.last_active, {})
  t.equal(corrupted, null, 'the "unknown" account id of a corrupted record is skipped')
  t.equal(noId, null)
})

t.test('Jira users and groups', async (t) => {
  t.same(mapJiraUser({ accountId: 'x', displayName: 'X Y', accountType: 'app', active: false }), {
    account_id: 'x', display_name: 'X Y', email: null, account_type: 'app', account_status: 'inactive'
  })
  t.equal(mapJiraUser({ accountId: 'y', active: true, emailAddress: 'y@example.com' })?.email, 'y@example.com')
  t.equal(mapJiraUser({ displayName: 'no id' }), null)
  t.same(mapJiraGroup({ name: 'team-a', groupId: 'g1' }), { name: 'team-a', id: 'g1' })
  t.same(mapJiraGroup({ name: 'team-b' }), { name: 'team-b', id: null })
  t.equal(mapJiraGroup({ groupId: 'g' }), null)
})

t.test('product keys', async (t) => {
  t.equal(productOfKey('jira-core'), 'jira')
  t.equal(productOfKey('jira-servicedesk'), 'jsm')
  t.equal(productOfKey('confluence'), 'confluence')
  t.equal(productOfKey('bitbucket'), 'bitbucket')
  t.equal(productOfKey('trello'), null)
  t.equal(productOfKey(null), null)
})

import t from 'tap'
import { readFileSync } from 'node:fs'
import { isBitbucketEvent, mapOrgEvent, orgEventOperation, processedAtOf } from '../../../src/connectors/org-admin/org-events-mapper.js'
import { nextCursorOf } from '../../../src/connectors/org-admin/org-events-connector.js'
import type { SiteConfig } from '../../../src/connectors/connector.js'

const page = JSON.parse(readFileSync(new URL('./fixtures/events-stream-page.json', import.meta.url), 'utf8')) as { data: unknown[] }

const site: SiteConfig = {
  id: 'acme.atlassian.net',
  site: 'acme.atlassian.net',
  cloudId: null,
  email: null,
  jiraApiToken: null,
  confluenceApiToken: null,
  bitbucketWorkspace: null,
  bitbucketApiToken: null,
  bitbucketEmail: null,
  orgId: 'org-1',
  orgApiKey: 'key',
  baseUrls: { jira: null, confluence: null, bitbucket: 'https://api.bitbucket.org/2.0', admin: 'https://api.atlassian.com/admin' }
}

t.test('a sign-in maps to login with the IP from location and the actor email only in the identity hint', async (t) => {
  const draft = mapOrgEvent(page.data[0], site)
  t.ok(draft)
  if (draft === null) return
  t.equal(draft.operation, 'login')
  t.equal(draft.product, 'admin')
  t.equal(draft.pipeline, 'audit')
  t.equal(draft.source, 'org-events')
  t.equal(draft.source_record_id, 'ev-login-1')
  t.equal(draft.occurred_at, '2026-11-20T08:15:00.000Z')
  t.equal(draft.source_ip, '203.0.113.7')
  t.same(draft.actor, { account_id: '557058:aaaa', display_name: 'Sato Haruka', email: 'haruka.sato@example.com' })
  t.notMatch(draft.summary, /@/, 'the summary never carries an email')
  t.equal(draft.object.url, 'https://admin.atlassian.com/o/org-1/audit-log')
  t.equal(draft.membership, null)
})

t.test('a group membership event names the member (subject), not the admin', async (t) => {
  const draft = mapOrgEvent(page.data[1], site)
  t.equal(draft?.operation, 'group_membership_changed')
  t.same(draft?.membership, { group: 'team-platform', account_id: '557058:bbbb', action: 'added' })
  t.equal(draft?.actor?.account_id, '557058:admin')
  t.equal(draft?.actor?.email, null)
})

t.test('a Bitbucket audit event keeps product bitbucket, the audit pipeline and a bitbucket.org link', async (t) => {
  const draft = mapOrgEvent(page.data[2], site)
  t.equal(draft?.product, 'bitbucket')
  t.equal(draft?.pipeline, 'audit')
  t.equal(draft?.operation, 'repository_permission_changed')
  t.equal(draft?.object.type, 'repository')
  t.equal(draft?.object.url, 'https://bitbucket.org/acme/billing')
  t.equal(draft?.object.container, 'acme/billing', 'the repository full name, as Bitbucket activity names it')
  const alt = mapOrgEvent({
    id: 'ev-bb-4',
    attributes: {
      time: 1764000000000,
      action: 'bitbucket_repository_permission_changed',
      context: [{ id: '557058:cccc', type: 'users', attributes: { name: 'Ito Mei' } }],
      container: [{ id: 's', type: 'sites', attributes: { siteName: 'acme' } }, { id: '{r}', type: 'bitbucket-workspaces', attributes: { workspaceSlug: 'acme', repository: 'web' } }]
    }
  }, site)
  t.equal(alt?.product, 'bitbucket')
  t.same(alt?.object, { type: 'repository', id: '{r}', name: 'web', container: 'acme/web', url: 'https://bitbucket.org/acme/web' })
  t.equal(alt?.summary, 'bitbucket_repository_permission_changed', 'the action stands in for a missing message')
})

t.test('a record without an id is dropped, not invented', async (t) => {
  t.equal(mapOrgEvent(page.data[3], site), null)
  t.equal(mapOrgEvent(null, site), null)
})

t.test('action keys map to shared operations', async (t) => {
  const cases: Array<[string, string]> = [
    ['user_logged_in', 'login'],
    ['user_logged_out', 'logout'],
    ['user_login_failed', 'login_failed'],
    ['user_removed_from_group', 'group_membership_changed'],
    ['group_created', 'group_created'],
    ['user_renamed', 'user_updated'],
    ['user_deactivated', 'user_deactivated'],
    ['api_token_created', 'api_token_created'],
    ['product_access_granted', 'product_access_granted'],
    ['auth_policy_updated', 'security_policy_changed'],
    ['bitbucket_repository_permission_changed', 'repository_permission_changed'],
    ['user_reactivated', 'user_reactivated'],
    ['something_entirely_new', 'something_entirely_new']
  ]
  for (const [action, operation] of cases) t.equal(orgEventOperation(action), operation, action)
})

t.test('bitbucket detection by product attribute, container type or action prefix', async (t) => {
  t.equal(isBitbucketEvent({ product: 'jira' }), false)
  t.equal(isBitbucketEvent({ product: 'bitbucket' }), true)
  t.equal(isBitbucketEvent({ action: 'bitbucket_repository_created' }), true)
  t.equal(isBitbucketEvent({ action: 'user_logged_in', container: [{ type: 'sites' }] }), false)
})

t.test('processedAt orders the stream; time is the fallback', async (t) => {
  t.equal(processedAtOf(page.data[0]), Date.parse('2026-11-20T08:15:02.000Z'))
  t.equal(processedAtOf(page.data[2]), Date.parse('2026-11-21T10:00:00.000Z'))
  t.equal(processedAtOf({ attributes: { processedAt: 12 } }), 12)
  t.equal(processedAtOf({}), null)
})

t.test('the next cursor comes from meta.next, else from links.next', async (t) => {
  t.equal(nextCursorOf(page), 'cursor-2')
  t.equal(nextCursorOf({ links: { next: 'https://x.test/admin/v1/orgs/o/events-stream?cursor=abc%3D' } }), 'abc=')
  t.equal(nextCursorOf({ meta: { next: null }, links: {} }), null)
})

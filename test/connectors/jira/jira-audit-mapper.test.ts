import t from 'tap'
import { auditOperation, isJsmAuditRecord, mapJiraAuditRecord } from '../../../src/connectors/jira/jira-audit-mapper.js'
import { fixture, testSite } from './site-fixture.js'

const site = testSite()
const page = fixture('jira/audit-records-page.json') as { records: unknown[] }

t.test('a group membership record maps to a Jira audit event with the member as subject', async (t) => {
  const draft = mapJiraAuditRecord(page.records[0], site)
  t.ok(draft)
  t.match(draft, {
    site: 'acme.atlassian.net',
    product: 'jira',
    pipeline: 'audit',
    source: 'jira-audit',
    source_record_id: '1001',
    occurred_at: '2026-03-19T18:45:42.967+0000',
    operation: 'group_membership_changed',
    actor: { account_id: '5ab8f18d741e9c2c7e9d4538' },
    object: { type: 'user', id: '712020:aaaa', container: 'Jira Internal Directory', url: 'https://acme.atlassian.net/jira/people/712020%3Aaaaa' },
    source_ip: '192.0.2.10',
    summary: 'User added to group',
    membership: { group: 'team-platform', account_id: '712020:aaaa', action: 'added' }
  })
  t.notMatch(JSON.stringify(draft), /long description/, 'descriptions are not kept')
})

t.test('emails in changed values are redacted', async (t) => {
  const draft = mapJiraAuditRecord(page.records[1], site)
  t.same(draft?.changes, [{ field: 'email', from: '[email]', to: '[email]' }])
  t.equal(draft?.operation, 'user_updated')
  t.notMatch(JSON.stringify(draft), /@example\.com/)
})

t.test('JSM records are split by eventSource, with extra fields ignored', async (t) => {
  const draft = mapJiraAuditRecord(page.records[2], site)
  t.equal(draft?.product, 'jsm')
  t.equal(draft?.source, 'jsm-audit')
  t.equal(draft?.actor, null)
  t.equal(draft?.object.type, 'project')
  t.equal(draft?.object.url, 'https://acme.atlassian.net/secure/project/ViewProject.jspa?pid=10004')
  t.equal(draft?.source_ip, null)
  t.notOk(draft?.membership)
  t.ok(isJsmAuditRecord({ eventSource: 'servicedesk' }))
  t.notOk(isJsmAuditRecord({ eventSource: 'Jira' }))
  t.notOk(isJsmAuditRecord({}))
})

t.test('records without id or creation time are dropped', async (t) => {
  t.equal(mapJiraAuditRecord({ summary: 'x', created: '2026-01-01T00:00:00.000+0000' }, site), null)
  t.equal(mapJiraAuditRecord({ id: 5 }, site), null)
  t.equal(mapJiraAuditRecord(null, site), null)
})

t.test('operations come from the shared table or fall back to a verb', async (t) => {
  t.equal(auditOperation('Permission scheme updated'), 'permission_scheme_changed')
  t.equal(auditOperation('Workflow updated'), 'workflow_changed')
  t.equal(auditOperation('User deactivated'), 'user_deactivated')
  t.equal(auditOperation('Project updated'), 'project_updated')
  t.equal(auditOperation('Custom field created'), 'custom_field_created')
  t.equal(auditOperation('!!!'), 'unknown')
})

t.test('membership also works with the group as object and the user associated', async (t) => {
  const draft = mapJiraAuditRecord({
    id: 9,
    summary: 'User removed from group',
    created: '2026-03-19T18:45:42.967+0000',
    objectItem: { id: 'g-1', name: 'team-design', typeName: 'GROUP' },
    associatedItems: [{ id: '712020:ffff', name: '712020:ffff', typeName: 'USER' }]
  }, site)
  t.same(draft?.membership, { group: 'team-design', account_id: '712020:ffff', action: 'removed' })
  t.equal(draft?.object.type, 'group')
})

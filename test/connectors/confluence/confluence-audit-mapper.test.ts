import t from 'tap'
import { confluenceAuditRecordId, mapConfluenceAuditRecord } from '../../../src/connectors/confluence/confluence-audit-mapper.js'
import { fixture, testSite } from '../jira/site-fixture.js'

const site = testSite()
const page = fixture('confluence/audit-page.json') as { results: Array<Record<string, unknown>> }

t.test('a record maps to a Confluence audit event without its description', async (t) => {
  const draft = mapConfluenceAuditRecord(page.results[0], site)
  t.match(draft, {
    product: 'confluence',
    pipeline: 'audit',
    source: 'confluence-audit',
    occurred_at: 1774000000000,
    operation: 'space_permission_changed',
    actor: { account_id: '712020:cccc', display_name: 'Aiko Sato' },
    object: { type: 'space', id: 'Engineering', name: 'Engineering', url: 'https://acme.atlassian.net/wiki/admin/auditlog.action' },
    changes: [{ field: 'Permission', from: '', to: 'VIEWSPACE' }],
    source_ip: '198.51.100.7',
    summary: 'Space permission added'
  })
  t.match(draft?.source_record_id, /^[0-9a-f]{32}$/)
  t.notMatch(JSON.stringify(draft), /Not to be stored/)
})

t.test('the derived id is stable across extra fields and differs between records', async (t) => {
  const record = page.results[0]!
  const id = confluenceAuditRecordId(record)
  t.equal(confluenceAuditRecordId({ ...record, simUnexpectedField: { n: 1 }, description: 'changed' }), id)
  t.not(confluenceAuditRecordId(page.results[1]!), id)
  t.equal(confluenceAuditRecordId({ ...record, id: 77 }), '77', 'an explicit id wins')
})

t.test('system authors have no actor; records without a date are dropped', async (t) => {
  const draft = mapConfluenceAuditRecord(page.results[1], site)
  t.equal(draft?.actor, null)
  t.equal(draft?.operation, 'public_link_created')
  t.equal(mapConfluenceAuditRecord({ summary: 'x' }, site), null)
  t.equal(mapConfluenceAuditRecord({ summary: 'x', creationDate: '1774000000000' }, site)?.occurred_at, 1774000000000)
})

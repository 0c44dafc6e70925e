// Maps one Jira audit record (GET /rest/api/3/auditing/record) to an EventDraft; JSM records split by eventSource.
import { Pipeline, Product, type EventChange, type EventDraft, type MembershipChange } from '../../events/event.js'
import { asArray, asRecord, asString, shortText, siteHost, toVerb } from './site-api.js'
import type { SiteConfig } from '../connector.js'

export const JiraAuditSource = Object.freeze({ Jira: 'jira-audit', Jsm: 'jsm-audit' } as const)

// Jira Service Management writes its own eventSource (e.g. "Jira Service Management", "servicedesk").
const JSM_EVENT_SOURCE = /service[\s_-]*(management|desk)|\bjsm\b|servicedesk/i

export function isJsmAuditRecord (record: Record<string, unknown>): boolean {
  const eventSource = asString(record.eventSource) ?? ''
  return JSM_EVENT_SOURCE.test(eventSource)
}

// Summaries Atlassian documents for the audit log, normalised to the shared operation verbs.
// Verbs come from the shared operations table (src/events/operations.ts); anything else falls back to a snake_case summary.
const OPERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/^user (added to|removed from) group|^(added|removed) user (to|from) group/i, 'group_membership_changed'],
  [/^group created|^created group/i, 'group_created'],
  [/^group (deleted|removed)|^deleted group/i, 'group_deleted'],
  [/^user created|^created user/i, 'user_created'],
  [/^user deleted|^deleted user/i, 'user_deleted'],
  [/^user deactivated|^deactivated user/i, 'user_deactivated'],
  [/^user (activated|reactivated)|^(re)?activated user/i, 'user_reactivated'],
  [/email/i, 'email_changed'],
  [/^user (updated|renamed)/i, 'user_updated'],
  [/space permission/i, 'space_permission_changed'],
  [/permission scheme/i, 'permission_scheme_changed'],
  [/permission/i, 'permission_changed'],
  [/application access|product access/i, 'product_access_granted'],
  [/^project created/i, 'project_created'],
  [/^project (deleted|archived)/i, 'project_deleted'],
  [/^project (updated|changed)/i, 'project_updated'],
  [/^space created|^created space/i, 'space_created'],
  [/^space (deleted|removed)|^deleted space/i, 'space_deleted'],
  [/^space (updated|changed)/i, 'space_updated'],
  [/public link/i, 'public_link_created'],
  [/export/i, 'data_exported'],
  [/workflow/i, 'workflow_changed'],
  [/setting|configuration/i, 'settings_changed']
]

export function auditOperation (summary: string): string {
  for (const [pattern, operation] of OPERATIONS) if (pattern.test(summary)) return operation
  return toVerb(summary)
}

function membershipOf (record: Record<string, unknown>, object: Record<string, unknown>): MembershipChange | null {
  const summary = asString(record.summary) ?? ''
  const action = /^user added to group/i.test(summary) ? 'added' : /^user removed from group/i.test(summary) ? 'removed' : null
  if (action === null) return null
  // Atlassian's example puts the user in objectItem and the group in associatedItems; sites also do the reverse.
  const items = [object, ...asArray(record.associatedItems).map(asRecord)]
  const group = items.find((item) => /^group$/i.test(asString(item.typeName) ?? ''))
  const user = items.find((item) => /^user$/i.test(asString(item.typeName) ?? ''))
  const groupName = group !== undefined ? asString(group.name) : null
  // The member is the user the record is about, not the admin who made the change.
  const accountId = user !== undefined ? asString(user.id) ?? asString(user.name) : null
  if (groupName === null || accountId === null) return null
  return { group: groupName, account_id: accountId, action }
}

function objectUrl (host: string, typeName: string, object: Record<string, unknown>): string {
  const id = asString(object.id)
  if (/^user$/i.test(typeName) && id !== null) return `https://${host}/jira/people/${encodeURIComponent(id)}`
  if (/^project$/i.test(typeName) && id !== null) return `https://${host}/secure/project/ViewProject.jspa?pid=${encodeURIComponent(id)}`
  return `https://${host}/auditing/view`
}

export function mapJiraAuditRecord (raw: unknown, site: SiteConfig): EventDraft | null {
  const record = asRecord(raw)
  const id = asString(record.id)
  const created = asString(record.created)
  if (id === null || created === null) return null
  const jsm = isJsmAuditRecord(record)
  const summary = asString(record.summary) ?? 'Audit record'
  const object = asRecord(record.objectItem)
  const typeName = asString(object.typeName) ?? 'unknown'
  const changes: EventChange[] = asArray(record.changedValues).map(asRecord).map((c) => ({
    field: asString(c.fieldName) ?? 'value',
    from: shortText(c.changedFrom),
    to: shortText(c.changedTo)
  }))
  const authorAccountId = asString(record.authorAccountId)
  return {
    site: site.id,
    product: jsm ? Product.Jsm : Product.Jira,
    pipeline: Pipeline.Audit,
    source: jsm ? JiraAuditSource.Jsm : JiraAuditSource.Jira,
    source_record_id: id,
    occurred_at: created,
    operation: auditOperation(summary),
    actor: authorAccountId !== null ? { account_id: authorAccountId } : null,
    object: {
      type: typeName.toLowerCase(),
      id: asString(object.id) ?? asString(object.name) ?? id,
      name: shortText(object.name),
      container: shortText(object.parentName, 120),
      url: objectUrl(siteHost(site), typeName, object)
    },
    changes,
    source_ip: asString(record.remoteAddress),
    summary: shortText(summary) ?? '',
    membership: membershipOf(record, object)
  }
}

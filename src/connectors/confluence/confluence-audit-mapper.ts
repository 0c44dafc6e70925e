// Maps one Confluence audit record (GET /wiki/rest/api/audit) to an EventDraft.
// The API gives records no id, so the source id is a hash of the record's identifying fields.
import { createHash } from 'node:crypto'
import { Pipeline, Product, type EventChange, type EventDraft } from '../../events/event.js'
import type { SiteConfig } from '../connector.js'
import { auditOperation } from '../jira/jira-audit-mapper.js'
import { asArray, asRecord, asString, shortText, siteHost } from '../jira/site-api.js'

export const CONFLUENCE_AUDIT_SOURCE = 'confluence-audit'

/**
 * Stable id from the fields that identify a record. Only documented fields take part, so an extra field
 * (or a missing optional one like remoteAddress) on a re-read does not turn one record into two.
 */
export function confluenceAuditRecordId (record: Record<string, unknown>): string {
  const explicit = asString(record.id)
  if (explicit !== null) return explicit
  const author = asRecord(record.author)
  const affected = asRecord(record.affectedObject)
  const key = JSON.stringify([
    record.creationDate ?? null,
    asString(author.accountId),
    asString(record.summary),
    asString(record.category),
    asString(affected.name),
    asString(affected.objectType),
    asArray(record.changedValues).map(asRecord).map((c) => [asString(c.name), asString(c.oldValue), asString(c.newValue)]),
    asArray(record.associatedObjects).map(asRecord).map((o) => [asString(o.name), asString(o.objectType)])
  ])
  return createHash('sha256').update(key).digest('hex').slice(0, 32)
}

export function mapConfluenceAuditRecord (raw: unknown, site: SiteConfig): EventDraft | null {
  const record = asRecord(raw)
  const created = typeof record.creationDate === 'number' ? record.creationDate : asString(record.creationDate)
  if (created === null) return null
  const id = confluenceAuditRecordId(record)
  const summary = asString(record.summary) ?? 'Audit record'
  const author = asRecord(record.author)
  const accountId = asString(author.accountId)
  const affected = asRecord(record.affectedObject)
  const objectType = (asString(affected.objectType) ?? 'unknown').toLowerCase()
  const changes: EventChange[] = asArray(record.changedValues).map(asRecord).map((c) => ({
    field: asString(c.name) ?? 'value',
    from: shortText(c.oldValue),
    to: shortText(c.newValue)
  }))
  return {
    site: site.id,
    product: Product.Confluence,
    pipeline: Pipeline.Audit,
    source: CONFLUENCE_AUDIT_SOURCE,
    source_record_id: id,
    occurred_at: typeof created === 'string' && /^\d+$/.test(created) ? Number(created) : created,
    operation: auditOperation(summary),
    actor: accountId !== null
      ? { account_id: accountId, display_name: asString(author.displayName) ?? asString(author.publicName) }
      : null,
    object: {
      type: objectType,
      id: asString(affected.name) ?? id,
      name: shortText(affected.name),
      container: null,
      url: `https://${siteHost(site)}/wiki/admin/auditlog.action`
    },
    changes,
    source_ip: asString(record.remoteAddress),
    summary: shortText(summary) ?? ''
  }
}

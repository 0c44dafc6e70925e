// Draft → stored event: validation, time normalisation, rating, and data minimisation. Only the UnifiedEvent
// fields are copied (never a raw payload), free text is capped, and emails are scrubbed out of free text.
import { isIP } from 'node:net'
import { scrubEmails, containsEmail } from '../identities/raw-author.js'
import { Category, Pipeline, Product, type EventChange, type EventDraft, type EventObject, type UnifiedEvent } from './event.js'
import { eventId } from './event-id.js'
import { normaliseTime } from './event-time.js'
import { rateOperation } from './operations.js'

export const LIMITS = Object.freeze({
  summary: 280,
  objectName: 300,
  container: 200,
  url: 2000,
  changes: 50,
  changeField: 100,
  changeValue: 500,
  operation: 64,
  id: 512
})

/** Reasons are fixed strings so rejection logs carry no record content. */
export const RejectReason = Object.freeze({
  NotAnObject: 'not_an_object',
  Site: 'missing_site',
  Product: 'unknown_product',
  Pipeline: 'unknown_pipeline',
  Source: 'missing_source',
  RecordId: 'missing_source_record_id',
  Operation: 'missing_operation',
  Object: 'missing_object',
  Time: 'invalid_time',
  FutureTime: 'time_in_future'
} as const)
export type RejectReason = typeof RejectReason[keyof typeof RejectReason]

const PRODUCTS = new Set<string>(Object.values(Product))
const PIPELINES = new Set<string>(Object.values(Pipeline))
const CATEGORIES = new Set<string>(Object.values(Category))
// A timestamp this far ahead is a broken source, and would also outlive the retention window.
const MAX_FUTURE_MS = 24 * 3600 * 1000

function text (v: unknown, max: number): string | null {
  if (v === null || v === undefined) return null
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null
  if (s === null) return null
  const clean = scrubEmails(s.trim())
  if (clean === '') return null
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

/** Replaces an id that embeds an email with a keyed pseudonym, so it stays unique but never stores the email. */
export type Pseudonymise = (value: string) => string

function idText (v: unknown, pseudonym: Pseudonymise): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v !== 'string') return null
  const s = v.trim()
  if (s === '' || s.length > LIMITS.id) return null
  return containsEmail(s) ? pseudonym(s) : s
}

function url (v: unknown): string | null {
  if (typeof v !== 'string' || v.length > LIMITS.url || containsEmail(v)) return null
  return /^https?:\/\//i.test(v) ? v : null
}

export function normaliseOperation (v: unknown): string | null {
  if (typeof v !== 'string') return null
  const op = v.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, LIMITS.operation)
  return op === '' ? null : op
}

function eventObject (v: unknown, pseudonym: Pseudonymise): EventObject | null {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  const type = text(o.type, 64)
  const id = idText(o.id, pseudonym)
  if (!type || !id) return null
  return { type, id, name: text(o.name, LIMITS.objectName), container: text(o.container, LIMITS.container), url: url(o.url) }
}

function changes (v: unknown): EventChange[] {
  if (!Array.isArray(v)) return []
  const out: EventChange[] = []
  for (const c of v.slice(0, LIMITS.changes)) {
    if (typeof c !== 'object' || c === null) continue
    const r = c as Record<string, unknown>
    const field = text(r.field, LIMITS.changeField)
    if (!field) continue
    out.push({ field, from: text(r.from, LIMITS.changeValue), to: text(r.to, LIMITS.changeValue) })
  }
  return out
}

export type BuildOutcome =
  | { ok: true, event: UnifiedEvent }
  | { ok: false, reason: RejectReason }

/** `actorId` is resolved by the caller (identities decide pseudonyms for unlinked authors). */
export function buildEvent (draft: EventDraft, ingestedAt: Date, actorId: string | null, pseudonym: Pseudonymise): BuildOutcome {
  if (typeof draft !== 'object' || draft === null) return { ok: false, reason: RejectReason.NotAnObject }
  const site = text(draft.site, 200)
  if (!site) return { ok: false, reason: RejectReason.Site }
  if (!PRODUCTS.has(draft.product)) return { ok: false, reason: RejectReason.Product }
  if (!PIPELINES.has(draft.pipeline)) return { ok: false, reason: RejectReason.Pipeline }
  const source = text(draft.source, 64)
  if (!source) return { ok: false, reason: RejectReason.Source }
  const recordId = idText(draft.source_record_id, pseudonym)
  if (!recordId) return { ok: false, reason: RejectReason.RecordId }
  const operation = normaliseOperation(draft.operation)
  if (!operation) return { ok: false, reason: RejectReason.Operation }
  const object = eventObject(draft.object, pseudonym)
  if (!object) return { ok: false, reason: RejectReason.Object }
  const occurredAt = normaliseTime(draft.occurred_at)
  if (!occurredAt) return { ok: false, reason: RejectReason.Time }
  if (occurredAt.getTime() > ingestedAt.getTime() + MAX_FUTURE_MS) return { ok: false, reason: RejectReason.FutureTime }

  const rating = rateOperation(operation, draft.pipeline)
  const category = draft.category !== undefined && CATEGORIES.has(draft.category) ? draft.category : rating.category
  const ip = typeof draft.source_ip === 'string' && isIP(draft.source_ip.trim()) !== 0 ? draft.source_ip.trim() : null
  return {
    ok: true,
    event: {
      _id: eventId({ site, product: draft.product, source, sourceRecordId: recordId }),
      occurred_at: occurredAt,
      ingested_at: ingestedAt,
      site,
      product: draft.product,
      pipeline: draft.pipeline,
      category,
      operation,
      severity: rating.severity,
      actor_account_id: actorId,
      object,
      changes: changes(draft.changes),
      source_ip: ip,
      summary: text(draft.summary, LIMITS.summary) ?? '',
      source,
      source_record_id: recordId
    }
  }
}

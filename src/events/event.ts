// The unified event: one document per audit or activity record, whatever product it came from.
// This file is the contract between connectors (which produce EventDrafts) and ingest (which stores UnifiedEvents).

/** The collection every event lives in. */
export const EVENTS = 'events'

export const Product = Object.freeze({
  Jira: 'jira',
  Jsm: 'jsm',
  Confluence: 'confluence',
  Bitbucket: 'bitbucket',
  Admin: 'admin'
} as const)
export type Product = typeof Product[keyof typeof Product]

export const Pipeline = Object.freeze({ Audit: 'audit', Activity: 'activity' } as const)
export type Pipeline = typeof Pipeline[keyof typeof Pipeline]

export const Category = Object.freeze({ Security: 'security', Content: 'content' } as const)
export type Category = typeof Category[keyof typeof Category]

export const Severity = Object.freeze({ Low: 'low', Medium: 'medium', High: 'high' } as const)
export type Severity = typeof Severity[keyof typeof Severity]

/** What the event acted on, with a deep link back to Atlassian. */
export interface EventObject {
  type: string
  id: string
  name: string | null
  /** Project key, space key or repository full name. */
  container: string | null
  url: string | null
}

export interface EventChange {
  field: string
  from: string | null
  to: string | null
}

/** The stored document (collection `events`). Written once with $setOnInsert, removed only by TTL. */
export interface UnifiedEvent {
  /** Deterministic: derived from (site, product, source record id[, version]). */
  _id: string
  occurred_at: Date
  ingested_at: Date
  site: string
  product: Product
  pipeline: Pipeline
  category: Category
  /** Normalised verb, e.g. issue_created, permission_changed (see operations table). */
  operation: string
  severity: Severity
  actor_account_id: string | null
  object: EventObject
  changes: EventChange[]
  source_ip: string | null
  summary: string
  /** Connector source that produced it, e.g. jira-audit, bitbucket-activity. */
  source: string
  source_record_id: string
}

/** An actor or subject as a source reports it; feeds the identities collection. */
export interface IdentityHint {
  account_id: string
  display_name?: string | null
  /** Plaintext as received; ingest encrypts it before anything reaches the database. */
  email?: string | null
  account_type?: string | null
  account_status?: string | null
  /** Per-product ids, e.g. { bitbucket: '{uuid}' }. */
  product_ids?: Partial<Record<Product, string>>
  /** A raw "Name <email>" author string (Bitbucket commits); ingest keeps the name and encrypts the email.
   *  With no account_id (an author not linked to an account) ingest derives a keyed `unlinked:` pseudonym. */
  raw_author?: string | null
}

/** A group membership change carried by an audit record (the member is the subject, not the admin). */
export interface MembershipChange {
  group: string
  account_id: string
  action: 'added' | 'removed'
}

/** What a connector's mapper hands to ingest. Ingest derives _id, severity, category and ingested_at. */
export interface EventDraft {
  site: string
  product: Product
  pipeline: Pipeline
  source: string
  /** The source's own id for this record; include a version/history id so each change is distinct. */
  source_record_id: string
  /** Date, ISO string (Jira's +0000 offsets included) or epoch milliseconds; normalised to UTC. */
  occurred_at: Date | string | number
  operation: string
  /** Only when the source makes the category explicit; otherwise derived from the operation table. */
  category?: Category
  actor: IdentityHint | null
  object: EventObject
  changes?: EventChange[]
  source_ip?: string | null
  summary: string
  membership?: MembershipChange | null
}

export interface IngestResult {
  received: number
  inserted: number
  alreadyPresent: number
  skippedTooOld: number
  rejected: number
}

// The Connector contract: one per Atlassian source. The scheduler owns timing, leases and state;
// a connector only reads pages, maps them to EventDrafts and hands them to ingest page by page.
import type { Logger } from 'pino'
import type { EventDraft, IdentityHint, IngestResult, Product } from '../events/event.js'

/** Sources as the connectors page and connector_state know them. */
export const SourceId = Object.freeze({
  JiraAudit: 'jira-audit', // also yields JSM audit records (split by eventSource; fetched once)
  ConfluenceAudit: 'confluence-audit',
  OrgEvents: 'org-events', // sign-ins and Bitbucket audit live here; requires Atlassian Guard
  JiraActivity: 'jira-activity', // also yields JSM request activity for service-desk projects
  ConfluenceActivity: 'confluence-activity',
  BitbucketActivity: 'bitbucket-activity',
  Directory: 'directory'
} as const)
export type SourceId = typeof SourceId[keyof typeof SourceId]

/** One Atlassian site/org as configured (env vars or ATLASLENS_SITES_FILE). Secrets are already resolved. */
export interface SiteConfig {
  /** Stable id used in connector_state and events.site, e.g. "acme.atlassian.net". */
  id: string
  /** e.g. "acme.atlassian.net"; null when only Bitbucket/org are configured. */
  site: string | null
  cloudId: string | null
  email: string | null
  jiraApiToken: string | null
  confluenceApiToken: string | null
  bitbucketWorkspace: string | null
  bitbucketApiToken: string | null
  /** Bitbucket API tokens use Basic email:token; access tokens use Bearer (no email). */
  bitbucketEmail: string | null
  orgId: string | null
  orgApiKey: string | null
  /** Resolved base URLs: jira/confluence are site origins (connectors add /rest/api/3, /wiki/...),
   *  bitbucket includes /2.0, admin includes /admin. */
  baseUrls: {
    jira: string | null
    confluence: string | null
    bitbucket: string
    admin: string
  }
}

export const Availability = Object.freeze({
  Ok: 'ok',
  Error: 'error',
  Unavailable: 'unavailable',
  NotConfigured: 'not_configured'
} as const)
export type Availability = typeof Availability[keyof typeof Availability]

/** Opaque per-source checkpoint (time watermark, cursor, per-repo watermarks, ...). Must be BSON-serialisable. */
export type Checkpoint = Record<string, unknown>

export interface RunProgress {
  pages: number
  records: number
  inserted: number
  /** Human-readable current window, e.g. "2026-01-01T00:00Z → 2026-01-02T00:00Z". */
  window: string | null
}

/** A user as the directory reports it now (structurally the identities repository's DirectoryUser). */
export interface DirectoryUserUpdate extends IdentityHint {
  /** Last active per product, where the admin API gives it. */
  last_active?: Partial<Record<Product, Date>> | null
}

/** The directory connector's channel into identities and teams (current state, not events). */
export interface DirectorySink {
  /** Upserts identities (emails are encrypted by the repository); returns how many were written. */
  upsertUsers: (users: DirectoryUserUpdate[]) => Promise<number>
  /** Makes `accountIds` the group's whole active membership for this site: members not listed are removed. */
  replaceGroupMembers: (group: { name: string, id?: string | null }, accountIds: string[]) => Promise<{ active: number, removed: number }>
}

export interface SyncContext {
  site: SiteConfig
  logger: Logger
  signal: AbortSignal
  now: () => Date
  /** The stored checkpoint from the last committed page, or null on first run. */
  checkpoint: Checkpoint | null
  /** Writes events durably; call once per page, BEFORE commitCheckpoint for that page. */
  ingest: (drafts: EventDraft[]) => Promise<IngestResult>
  /** Persists the checkpoint after the page's events are written. */
  commitCheckpoint: (checkpoint: Checkpoint) => Promise<void>
  progress: (update: Partial<RunProgress>) => void
  /** Present when the runner can write identities and teams; only the directory connector uses it. */
  directory?: DirectorySink
}

export interface RunOutcome {
  availability: Availability
  /** Reason shown on the connectors page for unavailable / not configured. */
  reason?: string
  pages: number
  records: number
  inserted: number
  /** When the API reports the credential's expiry (header or field); omit when it does not. */
  credentialExpiresAt?: Date | null
}

export interface Connector {
  source: SourceId
  /** Human label for the connectors page. */
  label: string
  /** null when the site has what this source needs; otherwise the "not configured" reason. */
  notConfiguredReason: (site: SiteConfig) => string | null
  run: (ctx: SyncContext) => Promise<RunOutcome>
}

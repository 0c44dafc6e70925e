// Fake connectors for scheduler tests: pages of drafts, checkpointed by page index, with gates to hold a run open.
import { Availability, type Connector, type RunOutcome, type SiteConfig, type SourceId, type SyncContext } from '../../src/connectors/connector.js'
import type { EventDraft, IngestResult } from '../../src/events/event.js'

export function fakeSite (id: string, configured = true): SiteConfig {
  return {
    id,
    site: id,
    cloudId: null,
    email: configured ? 'admin@example.com' : null,
    jiraApiToken: configured ? 'jira-secret-token-value' : null,
    confluenceApiToken: null,
    bitbucketWorkspace: null,
    bitbucketApiToken: null,
    bitbucketEmail: null,
    orgId: null,
    orgApiKey: null,
    baseUrls: { jira: `https://${id}`, confluence: null, bitbucket: 'https://api.bitbucket.org/2.0', admin: 'https://api.atlassian.com/admin' }
  }
}

export function draft (site: string, source: string, id: string): EventDraft {
  return {
    site,
    product: 'jira',
    pipeline: 'audit',
    source,
    source_record_id: id,
    occurred_at: new Date(),
    operation: 'issue_created',
    actor: null,
    object: { type: 'issue', id, name: null, container: null, url: null },
    summary: `fake ${id}`
  }
}

/** A promise that a test opens by hand. */
export interface Gate { wait: Promise<void>, open: () => void }
export function gate (): Gate {
  let open: () => void = () => {}
  const wait = new Promise<void>((resolve) => { open = resolve })
  return { wait, open }
}

export interface PagedOptions {
  source: SourceId
  label?: string
  pages: number
  perPage?: number
  /** Throw this error before ingesting page index `failAt` (0-based). */
  failAt?: number
  failWith?: Error
  /** Awaited before each page (with the page index); lets a test hold a run mid-way. */
  beforePage?: (index: number, ctx: SyncContext) => Promise<void>
  notConfigured?: string | null
  availability?: RunOutcome['availability']
  reason?: string
}

export interface PagedConnector extends Connector {
  runs: number
  startedFrom: Array<number>
}

/** Reads `pages` pages, checkpointing {page: n} after each, resuming from the checkpoint. */
export function pagedConnector (opts: PagedOptions): PagedConnector {
  const perPage = opts.perPage ?? 3
  const connector: PagedConnector = {
    source: opts.source,
    label: opts.label ?? `Fake ${opts.source}`,
    runs: 0,
    startedFrom: [],
    notConfiguredReason: (site) => opts.notConfigured !== undefined && opts.notConfigured !== null
      ? opts.notConfigured
      : (site.jiraApiToken === null ? 'No Jira API token configured' : null),
    async run (ctx) {
      connector.runs++
      const from = typeof ctx.checkpoint?.page === 'number' ? ctx.checkpoint.page : 0
      connector.startedFrom.push(from)
      let records = 0
      let inserted = 0
      let pages = 0
      for (let i = from; i < opts.pages; i++) {
        if (ctx.signal.aborted) throw ctx.signal.reason
        if (opts.beforePage) await opts.beforePage(i, ctx)
        if (opts.failAt === i) throw opts.failWith ?? new Error(`page ${i} failed`)
        const drafts = Array.from({ length: perPage }, (_, k) => draft(ctx.site.id, opts.source, `${i}-${k}`))
        const r = await ctx.ingest(drafts)
        await ctx.commitCheckpoint({ page: i + 1 })
        ctx.progress({ window: `page ${i + 1}` })
        pages++
        records += r.received
        inserted += r.inserted
      }
      return { availability: opts.availability ?? Availability.Ok, ...(opts.reason ? { reason: opts.reason } : {}), pages, records, inserted }
    }
  }
  return connector
}

/** An in-memory ingest that dedupes by (site, source, id) like the real one. */
export function memoryIngest (delayMs = 0): { ingest: (drafts: EventDraft[]) => Promise<IngestResult>, seen: Map<string, number> } {
  const seen = new Map<string, number>()
  return {
    seen,
    ingest: async (drafts) => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      let inserted = 0
      for (const d of drafts) {
        const key = `${d.site}|${d.source}|${d.source_record_id}`
        const n = seen.get(key) ?? 0
        if (n === 0) inserted++
        seen.set(key, n + 1)
      }
      return { received: drafts.length, inserted, alreadyPresent: drafts.length - inserted, skippedTooOld: 0, rejected: 0 }
    }
  }
}

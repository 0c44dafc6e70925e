// The generated org and its data sets. Small parts are built eagerly; each bulky data set is built on
// first use, as compact typed columns, so even the large size (1M+ records) stays in tens of MB.
import { buildOrgModel, FUTURE, YEAR, type OrgModel } from './org-model.js'
import { buildConfluenceAudit, buildJiraAudit, buildMembership, buildOrgEvents, JIRA_AUDIT_KINDS, JSM_EVENT_SOURCE, MAX_PROCESSING_DELAY, type AuditStore, type Membership, type OrgEventStore } from './audit-data.js'
import { buildJiraData, type JiraData } from './jira-data.js'
import { buildConfluenceData, type ConfluenceData } from './confluence-data.js'
import { buildBitbucketData, type BitbucketData } from './bitbucket-data.js'
import { countInRange, lowerBound, upperBound } from './timeline.js'

export type SizeOption = 'small' | 'medium' | 'large' | { people?: number, events?: number }

export const SIZES = Object.freeze({
  small: { people: 40, events: 3000 },
  medium: { people: 200, events: 60_000 },
  large: { people: 2000, events: 1_200_000 }
} as const)

/** Share of the year's records per data set. */
const SHARE = { jiraAudit: 0.07, confluenceAudit: 0.05, orgEvents: 0.12, jira: 0.30, confluence: 0.16, bitbucket: 0.30 } as const

export const GROUND_TRUTH_SOURCES = ['jira-audit', 'jsm-audit', 'confluence-audit', 'org-events', 'jira-activity', 'jsm-activity', 'confluence-activity', 'bitbucket-activity'] as const
export type GroundTruthSource = typeof GROUND_TRUTH_SOURCES[number]

export interface World {
  org: OrgModel
  guard: boolean
  membership: Membership
  readonly jiraAudit: AuditStore
  readonly confluenceAudit: AuditStore
  readonly orgEvents: OrgEventStore
  readonly jira: JiraData
  readonly confluence: ConfluenceData
  readonly bitbucket: BitbucketData
  /** Per-source event times of JSM vs Jira audit records (sorted), for ground truth. */
  readonly auditSplit: { jira: Float64Array, jsm: Float64Array }
}

export interface WorldOptions { seed: number, start: number, size: SizeOption, guard: boolean, hostile: boolean, adminEmail: string }

function lazy<T> (build: () => T): () => T {
  let value: T | undefined
  return () => { if (value === undefined) value = build(); return value }
}

export function resolveSize (size: SizeOption): { people: number, events: number } {
  if (typeof size === 'string') return SIZES[size]
  return { people: Math.max(4, Math.floor(size.people ?? SIZES.small.people)), events: Math.max(50, Math.floor(size.events ?? SIZES.small.events)) }
}

export function createWorld (o: WorldOptions): World {
  const { people, events } = resolveSize(o.size)
  const repos = Math.max(3, Math.min(60, Math.round(Math.sqrt(events) / 9)))
  const org = buildOrgModel(o.seed, o.start, people, repos, o.hostile, o.adminEmail)
  const membership = buildMembership(org)
  // The year's targets, stretched over the extra future window so the rate stays the same.
  const scale = (share: number): number => Math.round(events * share * (YEAR + FUTURE) / YEAR)
  const jiraAudit = lazy(() => buildJiraAudit(org, membership, scale(SHARE.jiraAudit)))
  const confluenceAudit = lazy(() => buildConfluenceAudit(org, scale(SHARE.confluenceAudit)))
  const orgEvents = lazy(() => buildOrgEvents(org, membership, scale(SHARE.orgEvents)))
  const jira = lazy(() => buildJiraData(org, scale(SHARE.jira)))
  const confluence = lazy(() => buildConfluenceData(org, scale(SHARE.confluence)))
  const bitbucket = lazy(() => buildBitbucketData(org, scale(SHARE.bitbucket)))
  const auditSplit = lazy(() => {
    const a = jiraAudit()
    const j: number[] = []
    const s: number[] = []
    for (let i = 0; i < a.n; i++) (JIRA_AUDIT_KINDS[a.kind[i]!]!.source === JSM_EVENT_SOURCE ? s : j).push(a.time[i]!)
    return { jira: Float64Array.from(j), jsm: Float64Array.from(s) }
  })
  return {
    org,
    guard: o.guard,
    membership,
    get jiraAudit () { return jiraAudit() },
    get confluenceAudit () { return confluenceAudit() },
    get orgEvents () { return orgEvents() },
    get jira () { return jira() },
    get confluence () { return confluence() },
    get bitbucket () { return bitbucket() },
    get auditSplit () { return auditSplit() }
  }
}

/** Distinct records per source with event time in [from, to], as visible at `now` (see README for units). */
export function groundTruth (w: World, now: number, from?: number, to?: number): { window: { from: string, to: string }, sources: Record<GroundTruthSource, number> } {
  const lo = from ?? w.org.t0
  const hi = Math.min(to ?? now, now)
  const count = (a: Float64Array): number => countInRange(a, lo, hi)
  let orgEvents = 0
  if (w.guard) {
    const e = w.orgEvents
    orgEvents = count(e.time)
    // Events not yet processed at `now` are not visible in the stream yet.
    const a = lowerBound(e.time, Math.max(lo, now - MAX_PROCESSING_DELAY))
    const b = upperBound(e.time, hi)
    for (let i = a; i < b; i++) if (e.processed[i]! > now) orgEvents--
  }
  const bb = w.bitbucket
  return {
    window: { from: new Date(lo).toISOString(), to: new Date(hi).toISOString() },
    sources: {
      'jira-audit': count(w.auditSplit.jira),
      'jsm-audit': count(w.auditSplit.jsm),
      'confluence-audit': count(w.confluenceAudit.time),
      'org-events': orgEvents,
      'jira-activity': count(w.jira.truthJira),
      'jsm-activity': count(w.jira.truthJsm),
      'confluence-activity': count(w.confluence.truth),
      'bitbucket-activity': count(bb.truthCommits) + count(bb.truthActivity)
    }
  }
}

// Audit-style sources (Jira/JSM audit, Confluence audit, org events) in compact columns, plus the
// group-membership timeline that the audit records and the group endpoints agree on.
import { createRng, hashUnit } from './prng.js'
import { pickWeighted, sortedInstants } from './timeline.js'
import type { OrgModel } from './org-model.js'

export interface AuditKind {
  summary: string
  category: string
  /** Jira: eventSource; org events: action key. */
  source: string
  weight: number
  /** What `target` indexes. */
  target: 'group' | 'project' | 'jsmProject' | 'space' | 'repo' | 'none'
  subjectUser: boolean
}

export interface AuditStore {
  n: number
  kinds: readonly AuditKind[]
  time: Float64Array
  kind: Uint8Array
  actor: Uint32Array
  /** Person index the record is about, or -1. */
  subject: Int32Array
  target: Uint32Array
}

export interface MembershipChange { time: number, group: number, person: number, added: boolean, actor: number }

export interface Membership {
  /** initial[group] = person indexes that were members before the first record. */
  initial: Array<Set<number>>
  changes: MembershipChange[]
}

export const JSM_EVENT_SOURCE = 'Jira Service Management'
export const JIRA_EVENT_SOURCE = 'Jira'

// Special kinds first so their indexes are fixed.
export const JIRA_AUDIT_KINDS: readonly AuditKind[] = [
  { summary: 'User added to group', category: 'group management', source: JIRA_EVENT_SOURCE, weight: 0, target: 'group', subjectUser: true },
  { summary: 'User removed from group', category: 'group management', source: JIRA_EVENT_SOURCE, weight: 0, target: 'group', subjectUser: true },
  { summary: 'User updated', category: 'user management', source: JIRA_EVENT_SOURCE, weight: 0, target: 'none', subjectUser: true },
  { summary: 'User deactivated', category: 'user management', source: JIRA_EVENT_SOURCE, weight: 0, target: 'none', subjectUser: true },
  { summary: 'Project updated', category: 'projects', source: JIRA_EVENT_SOURCE, weight: 4, target: 'project', subjectUser: false },
  { summary: 'Permission scheme updated', category: 'permissions', source: JIRA_EVENT_SOURCE, weight: 3, target: 'project', subjectUser: false },
  { summary: 'Workflow updated', category: 'workflows', source: JIRA_EVENT_SOURCE, weight: 3, target: 'project', subjectUser: false },
  { summary: 'Custom field created', category: 'fields', source: JIRA_EVENT_SOURCE, weight: 2, target: 'none', subjectUser: false },
  { summary: 'Project roles changed', category: 'projects', source: JIRA_EVENT_SOURCE, weight: 3, target: 'project', subjectUser: true },
  { summary: 'Request type created', category: 'service desk', source: JSM_EVENT_SOURCE, weight: 2, target: 'jsmProject', subjectUser: false },
  { summary: 'Customer added to service project', category: 'service desk', source: JSM_EVENT_SOURCE, weight: 3, target: 'jsmProject', subjectUser: true },
  { summary: 'SLA goal updated', category: 'service desk', source: JSM_EVENT_SOURCE, weight: 2, target: 'jsmProject', subjectUser: false },
  { summary: 'Queue updated', category: 'service desk', source: JSM_EVENT_SOURCE, weight: 2, target: 'jsmProject', subjectUser: false }
]

export const CONFLUENCE_AUDIT_KINDS: readonly AuditKind[] = [
  { summary: 'Space created', category: 'Spaces', source: 'confluence', weight: 1, target: 'space', subjectUser: false },
  { summary: 'Space permission added', category: 'Permissions', source: 'confluence', weight: 4, target: 'space', subjectUser: true },
  { summary: 'Space permission removed', category: 'Permissions', source: 'confluence', weight: 2, target: 'space', subjectUser: true },
  { summary: 'Global permission changed', category: 'Global Administration', source: 'confluence', weight: 2, target: 'none', subjectUser: false },
  { summary: 'Public link turned on', category: 'Public links', source: 'confluence', weight: 2, target: 'space', subjectUser: false },
  { summary: 'Page archived', category: 'Spaces', source: 'confluence', weight: 3, target: 'space', subjectUser: false },
  { summary: 'Template updated', category: 'Spaces', source: 'confluence', weight: 1, target: 'space', subjectUser: false }
]

// Org audit action keys: Atlassian's exact keys are UNCONFIRMED (API-NOTES §8); these are documented in the README.
export const ORG_EVENT_KINDS: readonly AuditKind[] = [
  { summary: 'Added user to group', category: 'group', source: 'user_added_to_group', weight: 0, target: 'group', subjectUser: true },
  { summary: 'Removed user from group', category: 'group', source: 'user_removed_from_group', weight: 0, target: 'group', subjectUser: true },
  { summary: 'Changed full name', category: 'account', source: 'user_renamed', weight: 0, target: 'none', subjectUser: true },
  { summary: 'Deactivated account', category: 'account', source: 'user_deactivated', weight: 0, target: 'none', subjectUser: true },
  { summary: 'Logged in to account', category: 'account', source: 'user_logged_in', weight: 30, target: 'none', subjectUser: false },
  { summary: 'Logged out of account', category: 'account', source: 'user_logged_out', weight: 6, target: 'none', subjectUser: false },
  { summary: 'Created API token', category: 'account', source: 'api_token_created', weight: 2, target: 'none', subjectUser: false },
  { summary: 'Granted product access', category: 'product access', source: 'product_access_granted', weight: 2, target: 'none', subjectUser: true },
  { summary: 'Updated authentication policy', category: 'policy', source: 'auth_policy_updated', weight: 1, target: 'none', subjectUser: false },
  { summary: 'Changed repository permission', category: 'bitbucket', source: 'bitbucket_repository_permission_changed', weight: 2, target: 'repo', subjectUser: true }
]

/** Admin actors for administrative records. */
export function adminCount (org: OrgModel): number { return Math.min(3, org.people.length) }

export function buildMembership (org: OrgModel): Membership {
  const rng = createRng(org.seed ^ 0x6E6B)
  const initial = org.groups.map(() => new Set<number>())
  for (const p of org.people) {
    initial[p.index % org.groups.length]!.add(p.index)
    if (rng() < 0.3) initial[Math.floor(rng() * org.groups.length)]!.add(p.index)
  }
  const current = initial.map((s) => new Set(s))
  const n = Math.max(8, Math.round(org.people.length * 0.6))
  const times = sortedInstants(rng, n, org.t0, org.t1)
  const changes: MembershipChange[] = []
  for (let i = 0; i < n; i++) {
    const group = Math.floor(rng() * org.groups.length)
    const person = 1 + Math.floor(rng() * Math.max(1, org.people.length - 1))
    if (person >= org.people.length) continue
    const set = current[group]!
    const added = !set.has(person)
    if (added) set.add(person)
    else set.delete(person)
    changes.push({ time: times[i]!, group, person, added, actor: Math.floor(rng() * adminCount(org)) })
  }
  return { initial, changes }
}

export function membersAt (m: Membership, group: number, now: number): number[] {
  const set = new Set(m.initial[group])
  for (const c of m.changes) {
    if (c.time > now) break
    if (c.group !== group) continue
    if (c.added) set.add(c.person)
    else set.delete(c.person)
  }
  return [...set].sort((a, b) => a - b)
}

interface Special { time: number, kind: number, actor: number, subject: number, target: number }

/** People-related records shared by Jira audit and org events: membership, renames, deactivations. */
function peopleSpecials (org: OrgModel, m: Membership, kindBase: { added: number, removed: number, renamed: number, deactivated: number }): Special[] {
  const out: Special[] = m.changes.map((c) => ({ time: c.time, kind: c.added ? kindBase.added : kindBase.removed, actor: c.actor, subject: c.person, target: c.group }))
  for (const p of org.people) {
    if (p.renamedAt !== null) out.push({ time: p.renamedAt, kind: kindBase.renamed, actor: p.index, subject: p.index, target: 0 })
    if (p.deactivatedAt !== null) out.push({ time: p.deactivatedAt, kind: kindBase.deactivated, actor: 0, subject: p.index, target: 0 })
  }
  return out.sort((a, b) => a.time - b.time)
}

function targetCount (org: OrgModel, target: AuditKind['target']): number {
  switch (target) {
    case 'group': return org.groups.length
    case 'project': return org.projects.length
    case 'jsmProject': return org.projects.length
    case 'space': return org.spaces.length
    case 'repo': return Math.max(1, org.repos.length)
    default: return 1
  }
}

function buildStore (org: OrgModel, salt: number, kinds: readonly AuditKind[], nRandom: number, specials: Special[], actorIsAnyone: (kind: number) => boolean): AuditStore {
  const rng = createRng(org.seed ^ salt)
  const times = sortedInstants(rng, nRandom, org.t0, org.t1)
  const n = nRandom + specials.length
  const store: AuditStore = {
    n,
    kinds,
    time: new Float64Array(n),
    kind: new Uint8Array(n),
    actor: new Uint32Array(n),
    subject: new Int32Array(n),
    target: new Uint32Array(n)
  }
  const weights = kinds.map((k) => k.weight)
  const jsmProjects = org.projects.filter((p) => p.typeKey === 'service_desk').map((p) => p.index)
  let si = 0
  let ri = 0
  let prev = -Infinity
  for (let i = 0; i < n; i++) {
    const takeSpecial = si < specials.length && (ri >= nRandom || specials[si]!.time <= times[ri]!)
    let t: number
    if (takeSpecial) {
      const s = specials[si++]!
      t = s.time
      store.kind[i] = s.kind
      store.actor[i] = s.actor
      store.subject[i] = s.subject
      store.target[i] = s.target
    } else {
      t = times[ri]!
      const k = pickWeighted(weights, hashUnit(org.seed, salt, ri, 1))
      const kind = kinds[k]!
      store.kind[i] = k
      const people = org.people.length
      store.actor[i] = actorIsAnyone(k) ? Math.floor(hashUnit(org.seed, salt, ri, 2) * people) : Math.floor(hashUnit(org.seed, salt, ri, 2) * adminCount(org))
      store.subject[i] = kind.subjectUser ? Math.floor(hashUnit(org.seed, salt, ri, 3) * people) : -1
      const target = Math.floor(hashUnit(org.seed, salt, ri, 4) * targetCount(org, kind.target))
      store.target[i] = kind.target === 'jsmProject' ? (jsmProjects[target % jsmProjects.length] ?? 0) : target
      ri++
    }
    // Strictly increasing times keep windows and cursors unambiguous.
    if (t <= prev) t = prev + 1
    store.time[i] = t
    prev = t
  }
  return store
}

export function buildJiraAudit (org: OrgModel, m: Membership, nRandom: number): AuditStore {
  return buildStore(org, 0xA0D1, JIRA_AUDIT_KINDS, nRandom, peopleSpecials(org, m, { added: 0, removed: 1, renamed: 2, deactivated: 3 }), () => false)
}

export function buildConfluenceAudit (org: OrgModel, nRandom: number): AuditStore {
  return buildStore(org, 0xC0AD, CONFLUENCE_AUDIT_KINDS, nRandom, [], () => false)
}

export interface OrgEventStore extends AuditStore {
  /** processedAt = time + a few seconds; the stream is ordered by it. */
  processed: Float64Array
  /** Record indexes sorted by (processed, index). */
  byProcessed: Uint32Array
}

/** Longest delay between an org event's time and its processedAt. */
export const MAX_PROCESSING_DELAY = 5000

export function buildOrgEvents (org: OrgModel, m: Membership, nRandom: number): OrgEventStore {
  const base = buildStore(org, 0x0E7E, ORG_EVENT_KINDS, nRandom, peopleSpecials(org, m, { added: 0, removed: 1, renamed: 2, deactivated: 3 }), (k) => ORG_EVENT_KINDS[k]!.source === 'user_logged_in' || ORG_EVENT_KINDS[k]!.source === 'user_logged_out' || ORG_EVENT_KINDS[k]!.source === 'api_token_created')
  const processed = new Float64Array(base.n)
  for (let i = 0; i < base.n; i++) processed[i] = base.time[i]! + Math.floor(hashUnit(org.seed, 0x9C, i) * MAX_PROCESSING_DELAY)
  const byProcessed = new Uint32Array(base.n)
  for (let i = 0; i < base.n; i++) byProcessed[i] = i
  byProcessed.sort((a, b) => (processed[a]! - processed[b]!) || (a - b))
  return { ...base, processed, byProcessed }
}

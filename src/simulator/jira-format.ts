// Jira JSON shapes: users, issues, changelog histories, comments, worklogs and audit records.
import type { FastifyRequest } from 'fastify'
import { avatarUrls, jiraTime, origin, quirk, QuirkTag, type SimContext } from './context.js'
import { hash32, hashPick } from './prng.js'
import { ISSUE_OBJECTS, ISSUE_WORDS, REQUEST_TITLES } from './names.js'
import { maybeHostile, type Person, type Project } from './org-model.js'
import { COMMENT_ID_BASE, HISTORY_ID_BASE, ISSUE_ID_BASE, WORKLOG_ID_BASE, isEdited, issueUpdated, type JiraData } from './jira-data.js'
import { JIRA_AUDIT_KINDS } from './audit-data.js'

const STATUS = ['To Do', 'In Progress', 'In Review', 'Done'] as const
const STATUS_ID = ['10000', '3', '10001', '10002'] as const
const JSM_STATUS = ['Waiting for support', 'In Progress', 'Waiting for customer', 'Resolved'] as const
const PRIORITY = ['Lowest', 'Low', 'Medium', 'High', 'Highest'] as const
const DIRECTORY = { parentId: '10000', parentName: 'com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory' }

export function isActive (p: Person, now: number): boolean {
  return p.deactivatedAt === null || p.deactivatedAt > now
}

export function jiraUser (ctx: SimContext, req: FastifyRequest, p: Person): Record<string, unknown> {
  const now = ctx.clock.nowMs()
  const u: Record<string, unknown> = {
    self: `${origin(req)}/rest/api/3/user?accountId=${p.accountId}`,
    accountId: p.accountId,
    accountType: 'atlassian',
    avatarUrls: avatarUrls(p),
    displayName: p.displayName,
    active: isActive(p, now),
    timeZone: p.timeZone,
    locale: p.timeZone === 'Asia/Tokyo' ? 'ja_JP' : 'en_US'
  }
  // Privacy controls: most users hide their email, which Jira then omits.
  if (p.jiraEmailVisible) u.emailAddress = p.email
  return quirk(ctx, QuirkTag.User, p.index, u, ['avatarUrls', 'timeZone', 'locale', 'emailAddress'])
}

export function issueKey (ctx: SimContext, d: JiraData, i: number): string {
  return `${ctx.world.org.projects[d.project[i]!]!.key}-${d.seq[i]!}`
}

export function issueSummary (ctx: SimContext, d: JiraData, i: number): string {
  const org = ctx.world.org
  const p = org.projects[d.project[i]!]!
  const base = p.typeKey === 'service_desk'
    ? hashPick(REQUEST_TITLES, org.seed, 0x51, i)
    : `${hashPick(ISSUE_WORDS, org.seed, 0x52, i)} ${hashPick(ISSUE_OBJECTS, org.seed, 0x53, i)}`
  return maybeHostile(org, base, 0x54, i)
}

export function projectJson (req: FastifyRequest, p: Project): Record<string, unknown> {
  return {
    self: `${origin(req)}/rest/api/3/project/${p.id}`,
    id: p.id,
    key: p.key,
    name: p.name,
    projectTypeKey: p.typeKey,
    simplified: false,
    style: 'classic',
    isPrivate: false,
    avatarUrls: { '48x48': `${origin(req)}/rest/api/3/universal_avatar/view/type/project/avatar/${p.id}` }
  }
}

function statusOf (ctx: SimContext, d: JiraData, i: number, count: number): { name: string, id: string } {
  const sd = ctx.world.org.projects[d.project[i]!]!.typeKey === 'service_desk'
  return { name: (sd ? JSM_STATUS : STATUS)[count % 4]!, id: STATUS_ID[count % 4]! }
}

function historyKind (ctx: SimContext, h: number): number { return hash32(ctx.world.org.seed, 0x4B, h) % 5 }

/** Number of status changes among the issue's histories before history h. */
function statusChangesBefore (ctx: SimContext, d: JiraData, i: number, h: number): number {
  let n = 0
  for (let x = d.hStart[i]!; x < h; x++) if (historyKind(ctx, x) <= 1) n++
  return n
}

export function historyJson (ctx: SimContext, req: FastifyRequest, d: JiraData, i: number, h: number): Record<string, unknown> {
  const org = ctx.world.org
  const people = org.people
  const kind = historyKind(ctx, h)
  let item: Record<string, unknown>
  if (kind <= 1) {
    const m = statusChangesBefore(ctx, d, i, h)
    const from = statusOf(ctx, d, i, m)
    const to = statusOf(ctx, d, i, m + 1)
    item = { field: 'status', fieldtype: 'jira', fieldId: 'status', from: from.id, fromString: from.name, to: to.id, toString: to.name }
  } else if (kind === 2) {
    const a = people[hash32(org.seed, 0x4C, h) % people.length]!
    const b = people[hash32(org.seed, 0x4D, h) % people.length]!
    item = { field: 'assignee', fieldtype: 'jira', fieldId: 'assignee', from: a.accountId, fromString: a.displayName, to: b.accountId, toString: b.displayName }
  } else if (kind === 3) {
    const a = hash32(org.seed, 0x4E, h) % 5
    const b = (a + 1 + (hash32(org.seed, 0x4F, h) % 4)) % 5
    item = { field: 'priority', fieldtype: 'jira', fieldId: 'priority', from: String(a + 1), fromString: PRIORITY[a], to: String(b + 1), toString: PRIORITY[b] }
  } else {
    item = { field: 'labels', fieldtype: 'jira', fieldId: 'labels', from: null, fromString: '', to: null, toString: hashPick(['customer', 'regression', 'security', 'tech-debt'], org.seed, 0x50, h) }
  }
  const r = {
    id: String(HISTORY_ID_BASE + h),
    author: jiraUser(ctx, req, people[d.hAuthor[h]!]!),
    created: jiraTime(d.hTime[h]!),
    items: [item]
  }
  return quirk(ctx, QuirkTag.History, h, r, ['historyMetadata'])
}

function adf (text: string): Record<string, unknown> {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] }
}

export function commentJson (ctx: SimContext, req: FastifyRequest, d: JiraData, i: number, c: number): Record<string, unknown> {
  const org = ctx.world.org
  const author = jiraUser(ctx, req, org.people[d.cAuthor[c]!]!)
  const edited = isEdited(d, c, ctx.clock.nowMs())
  const id = String(COMMENT_ID_BASE + c)
  const r: Record<string, unknown> = {
    self: `${origin(req)}/rest/api/3/issue/${ISSUE_ID_BASE + i}/comment/${id}`,
    id,
    author,
    body: adf(maybeHostile(org, `Comment ${c} on ${issueKey(ctx, d, i)}`, 0x55, c)),
    updateAuthor: author,
    created: jiraTime(d.cTime[c]!),
    updated: jiraTime(edited ? d.cEdit[c]! : d.cTime[c]!)
  }
  if (org.projects[d.project[i]!]!.typeKey === 'service_desk') r.jsdPublic = (hash32(org.seed, 0x56, c) % 3) !== 0
  return quirk(ctx, QuirkTag.Comment, c, r, ['updateAuthor', 'jsdPublic'])
}

function timeSpent (secs: number): string {
  const h = Math.floor(secs / 3600)
  const m = Math.floor((secs % 3600) / 60)
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : ''].filter((x) => x !== '').join(' ') || '0m'
}

export function worklogJson (ctx: SimContext, req: FastifyRequest, d: JiraData, w: number): Record<string, unknown> {
  const i = d.wIssue[w]!
  const author = jiraUser(ctx, req, ctx.world.org.people[d.wAuthor[w]!]!)
  const id = String(WORKLOG_ID_BASE + w)
  const t = d.wTime[w]!
  const r = {
    self: `${origin(req)}/rest/api/3/issue/${ISSUE_ID_BASE + i}/worklog/${id}`,
    author,
    updateAuthor: author,
    comment: adf(`Worked on ${issueKey(ctx, d, i)}`),
    created: jiraTime(t),
    updated: jiraTime(t),
    started: jiraTime(t - d.wSeconds[w]! * 1000),
    timeSpent: timeSpent(d.wSeconds[w]!),
    timeSpentSeconds: d.wSeconds[w]!,
    id,
    issueId: String(ISSUE_ID_BASE + i)
  }
  return quirk(ctx, QuirkTag.Worklog, w, r, ['comment', 'updateAuthor'])
}

/** Comments the `comment` field of a search result carries at most (API-NOTES §5). */
export const EMBEDDED_COMMENTS = 20

export const ALL_FIELDS = ['summary', 'status', 'project', 'issuetype', 'created', 'updated', 'reporter', 'creator', 'assignee', 'priority', 'labels'] as const

export function issueJson (ctx: SimContext, req: FastifyRequest, d: JiraData, i: number, fields: readonly string[], changelog: boolean): Record<string, unknown> {
  const org = ctx.world.org
  const now = ctx.clock.nowMs()
  const project = org.projects[d.project[i]!]!
  const id = String(ISSUE_ID_BASE + i)
  const out: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id,
    self: `${origin(req)}/rest/api/3/issue/${id}`,
    key: issueKey(ctx, d, i)
  }
  const hEnd = upperVisible(d.hTime, d.hStart[i]!, d.hStart[i + 1]!, now)
  if (fields.length > 0) {
    const f: Record<string, unknown> = {}
    const reporter = jiraUser(ctx, req, org.people[d.reporter[i]!]!)
    for (const name of fields) {
      switch (name) {
        case 'summary': f.summary = issueSummary(ctx, d, i); break
        case 'status': {
          let n = 0
          for (let x = d.hStart[i]!; x < hEnd; x++) if (historyKind(ctx, x) <= 1) n++
          const s = statusOf(ctx, d, i, n)
          f.status = { self: `${origin(req)}/rest/api/3/status/${s.id}`, id: s.id, name: s.name, statusCategory: { key: n % 4 === 3 ? 'done' : n % 4 === 0 ? 'new' : 'indeterminate' } }
          break
        }
        case 'project': f.project = projectJson(req, project); break
        case 'issuetype': f.issuetype = project.typeKey === 'service_desk' ? { id: '10100', name: 'Service Request' } : { id: hash32(org.seed, 0x57, i) % 3 === 0 ? '10004' : '10001', name: hash32(org.seed, 0x57, i) % 3 === 0 ? 'Bug' : 'Task' }; break
        case 'created': f.created = jiraTime(d.created[i]!); break
        case 'updated': f.updated = jiraTime(issueUpdated(d, i, now)); break
        case 'reporter': f.reporter = reporter; break
        case 'creator': f.creator = reporter; break
        case 'assignee': f.assignee = hash32(org.seed, 0x58, i) % 4 === 0 ? null : jiraUser(ctx, req, org.people[hash32(org.seed, 0x59, i) % org.people.length]!); break
        case 'priority': f.priority = { id: '3', name: 'Medium' }; break
        case 'labels': f.labels = []; break
        case 'comment': {
          // Like search/jql: at most 20 comments (oldest first) embedded; `total` tells the caller to page /comment.
          const lo = d.cStart[i]!
          const end = upperVisible(d.cTime, lo, d.cStart[i + 1]!, now)
          const comments = []
          for (let c = lo; c < Math.min(end, lo + EMBEDDED_COMMENTS); c++) comments.push(commentJson(ctx, req, d, i, c))
          f.comment = { comments, self: `${origin(req)}/rest/api/3/issue/${id}/comment`, maxResults: comments.length, total: end - lo, startAt: 0 }
          break
        }
        default: break
      }
    }
    out.fields = f
  }
  if (changelog) {
    // Search embeds at most 20 histories (oldest first); `total` tells the caller to page /changelog for the rest.
    const lo = d.hStart[i]!
    const total = hEnd - lo
    const histories = []
    for (let h = lo; h < Math.min(hEnd, lo + 20); h++) histories.push(historyJson(ctx, req, d, i, h))
    out.changelog = { startAt: 0, maxResults: histories.length, total, histories }
  }
  return out
}

function upperVisible (a: Float64Array, lo: number, hi: number, now: number): number {
  let l = lo
  let h = hi
  while (l < h) {
    const m = (l + h) >>> 1
    if (a[m]! <= now) l = m + 1
    else h = m
  }
  return l
}

export function auditRecordJson (ctx: SimContext, i: number): Record<string, unknown> {
  const org = ctx.world.org
  const a = ctx.world.jiraAudit
  const kind = JIRA_AUDIT_KINDS[a.kind[i]!]!
  const actor = org.people[a.actor[i]!]!
  const subject = a.subject[i]! >= 0 ? org.people[a.subject[i]!]! : null
  const userItem = (p: Person): Record<string, unknown> => ({ id: p.accountId, name: p.accountId, typeName: 'USER', ...DIRECTORY })
  let objectItem: Record<string, unknown>
  const associatedItems: Array<Record<string, unknown>> = []
  let changedValues: Array<Record<string, unknown>> = []
  const target = a.target[i]!
  switch (kind.target) {
    case 'group': {
      const g = org.groups[target]!
      objectItem = { id: g.groupId, name: g.name, typeName: 'GROUP', ...DIRECTORY }
      if (subject !== null) associatedItems.push(userItem(subject))
      break
    }
    case 'project':
    case 'jsmProject': {
      const p = org.projects[target]!
      objectItem = { id: p.id, name: p.name, typeName: 'PROJECT' }
      if (subject !== null) associatedItems.push(userItem(subject))
      break
    }
    default:
      if (subject !== null) {
        objectItem = userItem(subject)
        if (kind.summary === 'User updated') changedValues = [{ fieldName: 'Full name', changedFrom: subject.previousName ?? subject.displayName, changedTo: subject.displayName }]
        if (kind.summary === 'User deactivated') changedValues = [{ fieldName: 'Active', changedFrom: 'Active', changedTo: 'Inactive' }]
      } else {
        objectItem = { id: `customfield_${10100 + (i % 50)}`, name: maybeHostile(org, `Custom field ${i % 50}`, 0x5B, i), typeName: 'CUSTOM_FIELD' }
      }
  }
  const r = {
    id: 1000 + i,
    summary: kind.summary,
    remoteAddress: `203.0.113.${1 + (hash32(org.seed, 0x5C, i) % 250)}`,
    authorKey: actor.accountId,
    authorAccountId: actor.accountId,
    created: jiraTime(a.time[i]!),
    category: kind.category,
    eventSource: kind.source,
    description: '',
    objectItem,
    changedValues,
    associatedItems
  }
  return quirk(ctx, QuirkTag.JiraAudit, i, r, ['remoteAddress', 'description', 'authorKey'])
}

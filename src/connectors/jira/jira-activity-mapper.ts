// Maps Jira issue activity (changelog histories, comments, worklogs) to EventDrafts; JSM projects become product jsm.
// Data minimisation: titles, ids, changed field names and short from/to strings only; never descriptions or bodies.
import { Pipeline, Product, type EventChange, type EventDraft, type IdentityHint } from '../../events/event.js'
import type { SiteConfig } from '../connector.js'
import { asArray, asRecord, asString, parseTime, shortText, siteHost } from './site-api.js'

export const JiraActivitySource = Object.freeze({ Jira: 'jira-activity', Jsm: 'jsm-activity' } as const)

/** What every activity event needs to know about its issue. */
export interface IssueRef {
  id: string
  key: string
  title: string | null
  projectKey: string | null
  /** True for issues in service-desk projects (projectTypeKey service_desk): JSM requests. */
  jsm: boolean
}

export function issueRefOf (raw: unknown): IssueRef | null {
  const issue = asRecord(raw)
  const id = asString(issue.id)
  const key = asString(issue.key)
  if (id === null || key === null) return null
  const fields = asRecord(issue.fields)
  const project = asRecord(fields.project)
  return {
    id,
    key,
    title: shortText(fields.summary),
    projectKey: asString(project.key) ?? (key.includes('-') ? key.slice(0, key.lastIndexOf('-')) : null),
    jsm: asString(project.projectTypeKey) === 'service_desk'
  }
}

export function actorOf (raw: unknown): IdentityHint | null {
  const user = asRecord(raw)
  const accountId = asString(user.accountId)
  if (accountId === null) return null
  const hint: IdentityHint = { account_id: accountId }
  const name = asString(user.displayName)
  if (name !== null) hint.display_name = name
  // Emails go to ingest, which encrypts them before anything is stored.
  const email = asString(user.emailAddress)
  if (email !== null && email !== '') hint.email = email
  const type = asString(user.accountType)
  if (type !== null) hint.account_type = type
  if (typeof user.active === 'boolean') hint.account_status = user.active ? 'active' : 'inactive'
  return hint
}

// Free-text fields whose values are content, not activity: keep the field name, drop the values.
const CONTENT_FIELDS = new Set(['description', 'environment', 'comment', 'body', 'worklog', 'attachment', 'timespent', 'timeestimate', 'timeoriginalestimate'])

export function changesOf (history: Record<string, unknown>): EventChange[] {
  return asArray(history.items).map(asRecord).map((item) => {
    const field = asString(item.field) ?? asString(item.fieldId) ?? 'field'
    const content = CONTENT_FIELDS.has(field.toLowerCase())
    return {
      field,
      from: content ? null : shortText(item.fromString ?? null),
      to: content ? null : shortText(item.toString ?? null)
    }
  })
}

function historyOperation (issue: IssueRef, changes: EventChange[]): string {
  const transitioned = changes.some((c) => c.field.toLowerCase() === 'status')
  if (issue.jsm) return transitioned ? 'request_transitioned' : 'issue_updated'
  return transitioned ? 'issue_transitioned' : 'issue_updated'
}

function base (issue: IssueRef, site: SiteConfig): Pick<EventDraft, 'site' | 'product' | 'pipeline' | 'source'> {
  return {
    site: site.id,
    product: issue.jsm ? Product.Jsm : Product.Jira,
    pipeline: Pipeline.Activity,
    source: issue.jsm ? JiraActivitySource.Jsm : JiraActivitySource.Jira
  }
}

export function issueUrl (site: SiteConfig, key: string, focus?: string): string {
  return `https://${siteHost(site)}/browse/${encodeURIComponent(key)}${focus ?? ''}`
}

/** One event per changelog history (a single edit may change several fields). */
export function mapChangelogHistory (issue: IssueRef, raw: unknown, site: SiteConfig): EventDraft | null {
  const history = asRecord(raw)
  const id = asString(history.id)
  const created = history.created
  if (id === null || (typeof created !== 'string' && typeof created !== 'number')) return null
  const changes = changesOf(history)
  const fields = [...new Set(changes.map((c) => c.field))].join(', ')
  return {
    ...base(issue, site),
    source_record_id: `${issue.id}:history:${id}`,
    occurred_at: created,
    operation: historyOperation(issue, changes),
    actor: actorOf(history.author),
    object: { type: 'issue', id: issue.id, name: issue.title, container: issue.projectKey, url: issueUrl(site, issue.key) },
    changes,
    summary: shortText(`${issue.key} changed: ${fields === '' ? 'fields' : fields}`) ?? issue.key
  }
}

/** Comment created, or edited: an edit is its own event keyed by the `updated` instant, so every observed edit counts once. */
export function mapComment (issue: IssueRef, raw: unknown, kind: 'created' | 'updated', site: SiteConfig): EventDraft | null {
  const comment = asRecord(raw)
  const id = asString(comment.id)
  const at = kind === 'created' ? comment.created : comment.updated
  if (id === null || (typeof at !== 'string' && typeof at !== 'number')) return null
  const url = issueUrl(site, issue.key, `?focusedCommentId=${encodeURIComponent(id)}`)
  return {
    ...base(issue, site),
    source_record_id: kind === 'created' ? `comment:${id}` : `comment:${id}:updated:${String(parseTime(at) ?? at)}`,
    occurred_at: at,
    operation: kind === 'created' ? 'comment_added' : 'comment_updated',
    actor: actorOf(kind === 'created' ? comment.author : (comment.updateAuthor ?? comment.author)),
    object: { type: 'comment', id, name: issue.title, container: issue.projectKey, url },
    changes: [],
    summary: `${kind === 'created' ? 'Comment added on' : 'Comment edited on'} ${issue.key}`
  }
}

/** One event per worklog (worklog/list). Occurred at its creation; the time logged is a change, not content. */
export function mapWorklog (issue: IssueRef, raw: unknown, site: SiteConfig): EventDraft | null {
  const worklog = asRecord(raw)
  const id = asString(worklog.id)
  const created = worklog.created ?? worklog.started
  if (id === null || (typeof created !== 'string' && typeof created !== 'number')) return null
  const spent = asString(worklog.timeSpent) ?? (typeof worklog.timeSpentSeconds === 'number' ? `${worklog.timeSpentSeconds}s` : null)
  const url = issueUrl(site, issue.key, `?focusedWorklogId=${encodeURIComponent(id)}`)
  return {
    ...base(issue, site),
    source_record_id: `worklog:${id}`,
    occurred_at: created,
    operation: 'worklog_added',
    actor: actorOf(worklog.author),
    object: { type: 'worklog', id, name: issue.title, container: issue.projectKey, url },
    changes: spent !== null ? [{ field: 'timeSpent', from: null, to: spent }] : [],
    summary: `Work logged on ${issue.key}${spent !== null ? ` (${spent})` : ''}`
  }
}

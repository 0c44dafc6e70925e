// Maps Bitbucket Cloud 2.0 records (commits, pull requests, repo-wide PR activity; API-NOTES §4b) to EventDrafts.
// One event per change, each with a deterministic source_record_id; deep links point at bitbucket.org.
import { Pipeline, Product, type EventDraft, type IdentityHint } from '../../events/event.js'
import { asRecord, asString, shortText } from '../jira/site-api.js'
import type { SiteConfig } from '../connector.js'

export const BITBUCKET_SOURCE = 'bitbucket-activity'
const WEB = 'https://bitbucket.org'

/** The repository a record belongs to, as the connector listed it. */
export interface RepoRef {
  /** Stable key for ids: the repository uuid (survives renames), else its full name. */
  key: string
  fullName: string
  name: string
}

export function repoRefOf (raw: unknown): RepoRef | null {
  const repo = asRecord(raw)
  const fullName = asString(repo.full_name)
  if (fullName === null) return null
  return { key: asString(repo.uuid) ?? fullName, fullName, name: asString(repo.name) ?? asString(repo.slug) ?? fullName }
}

function repoUrl (repo: RepoRef): string {
  return `${WEB}/${repo.fullName.split('/').map(encodeURIComponent).join('/')}`
}

/** A Bitbucket user object (account_id joins Jira/Confluence/admin; uuid is Bitbucket's own id). */
export function userHint (raw: unknown): IdentityHint | null {
  const user = asRecord(raw)
  const accountId = asString(user.account_id)
  if (accountId === null || accountId === '') return null
  const uuid = asString(user.uuid)
  const hint: IdentityHint = { account_id: accountId, display_name: asString(user.display_name) ?? asString(user.nickname) }
  if (uuid !== null) hint.product_ids = { bitbucket: uuid }
  return hint
}

/** Splits a git author line "Name <email>"; either part may be missing. */
export function parseRawAuthor (raw: string | null): { name: string | null, email: string | null } {
  if (raw === null) return { name: null, email: null }
  const match = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(raw)
  if (match === null) return { name: raw.trim() === '' ? null : raw.trim(), email: null }
  const name = (match[1] ?? '').trim()
  const email = (match[2] ?? '').trim()
  return { name: name === '' ? null : name, email: /@/.test(email) ? email : null }
}

/** Commit author: the linked Atlassian account when there is one, plus the raw git "Name <email>" line, which ingest
 *  splits (name kept, email encrypted). An unlinked author gets no account id here: ingest derives a keyed pseudonym. */
export function commitAuthorHint (author: unknown): IdentityHint | null {
  const a = asRecord(author)
  const linked = userHint(a.user)
  const raw = asString(a.raw)
  if (linked === null && (raw === null || raw.trim() === '')) return null
  const { name } = parseRawAuthor(raw)
  if (linked === null) return { account_id: '', display_name: name, raw_author: raw }
  return { ...linked, display_name: linked.display_name ?? name, raw_author: raw }
}

function firstLine (text: string | null): string | null {
  if (text === null) return null
  const line = text.split(/\r?\n/, 1)[0] ?? ''
  return line.trim() === '' ? null : line.trim()
}

export function mapCommit (raw: unknown, repo: RepoRef, site: SiteConfig): EventDraft | null {
  const commit = asRecord(raw)
  const hash = asString(commit.hash)
  const date = asString(commit.date)
  if (hash === null || date === null) return null
  const title = firstLine(asString(commit.message))
  return {
    site: site.id,
    product: Product.Bitbucket,
    pipeline: Pipeline.Activity,
    source: BITBUCKET_SOURCE,
    source_record_id: `commit:${repo.key}:${hash}`,
    occurred_at: date,
    operation: 'commit_pushed',
    actor: commitAuthorHint(commit.author),
    object: { type: 'commit', id: hash, name: shortText(title, 120), container: repo.fullName, url: `${repoUrl(repo)}/commits/${hash}` },
    changes: [],
    summary: shortText(`Commit ${hash.slice(0, 12)} in ${repo.fullName}`) ?? ''
  }
}

function prObject (pr: Record<string, unknown>, repo: RepoRef): EventDraft['object'] | null {
  const id = asString(pr.id)
  if (id === null) return null
  return { type: 'pull_request', id: `${repo.fullName}#${id}`, name: shortText(asString(pr.title), 120), container: repo.fullName, url: `${repoUrl(repo)}/pull-requests/${id}` }
}

function epochMs (value: string): number | null {
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** The id of a PR state change. Epoch ms, not the date text: the PR listing and the activity log format times differently
 *  but must name the opening (the first OPEN update) identically, so it is stored once. */
function updateId (repo: RepoRef, prId: string, date: string, state: string): string {
  return `pr:${repo.key}:${prId}:update:${String(epochMs(date) ?? date)}:${state}`
}

/** The pull request itself yields its opening (the activity log repeats it as the first OPEN update, with the same id). */
export function mapPullRequestOpened (raw: unknown, repo: RepoRef, site: SiteConfig): EventDraft | null {
  const pr = asRecord(raw)
  const created = asString(pr.created_on)
  const object = prObject(pr, repo)
  if (created === null || object === null) return null
  return {
    site: site.id,
    product: Product.Bitbucket,
    pipeline: Pipeline.Activity,
    source: BITBUCKET_SOURCE,
    source_record_id: updateId(repo, String(pr.id), created, 'OPEN'),
    occurred_at: created,
    operation: 'pr_opened',
    actor: userHint(pr.author),
    object,
    changes: [{ field: 'state', from: null, to: 'OPEN' }],
    summary: shortText(`Pull request #${String(pr.id)} opened in ${repo.fullName}`) ?? ''
  }
}

const UPDATE_OPERATIONS: Readonly<Record<string, string>> = Object.freeze({
  OPEN: 'pr_updated',
  MERGED: 'pr_merged',
  DECLINED: 'pr_declined',
  SUPERSEDED: 'pr_superseded'
})

export type ActivityKind = 'update' | 'approval' | 'changes_requested' | 'comment'

/** Which change an activity item records, and when. */
export function activityKindOf (raw: unknown): { kind: ActivityKind, date: string } | null {
  const item = asRecord(raw)
  const update = asRecord(item.update)
  if (asString(update.date) !== null) return { kind: 'update', date: asString(update.date) as string }
  const approval = asRecord(item.approval)
  if (asString(approval.date) !== null) return { kind: 'approval', date: asString(approval.date) as string }
  const changes = asRecord(item.changes_requested)
  if (asString(changes.date) !== null) return { kind: 'changes_requested', date: asString(changes.date) as string }
  const comment = asRecord(item.comment)
  const created = asString(comment.created_on)
  if (created !== null) return { kind: 'comment', date: created }
  return null
}

/** One item of GET /repositories/{ws}/{repo}/pullrequests/activity. `createdAt` (from the PR listing) tells the
 *  opening apart from later OPEN updates, which the activity log does not mark. */
export function mapPullRequestActivity (
  raw: unknown,
  repo: RepoRef,
  site: SiteConfig,
  createdAt: (prId: string) => number | undefined = () => undefined
): EventDraft | null {
  const item = asRecord(raw)
  const found = activityKindOf(item)
  const comment = asRecord(item.comment)
  const pr = asRecord(item.pull_request ?? comment.pullrequest)
  const object = prObject(pr, repo)
  if (found === null || object === null) return null
  const prId = String(pr.id)
  const base = `pr:${repo.key}:${prId}`
  const common = { site: site.id, product: Product.Bitbucket, pipeline: Pipeline.Activity, source: BITBUCKET_SOURCE, object, changes: [] }
  switch (found.kind) {
    case 'update': {
      const update = asRecord(item.update)
      const state = (asString(update.state) ?? 'OPEN').toUpperCase()
      const opened = state === 'OPEN' && createdAt(prId) === epochMs(found.date)
      const verb = opened ? 'opened' : state === 'OPEN' ? 'updated' : state.toLowerCase()
      return {
        ...common,
        source_record_id: updateId(repo, prId, found.date, state),
        occurred_at: found.date,
        operation: opened ? 'pr_opened' : UPDATE_OPERATIONS[state] ?? 'pr_updated',
        actor: userHint(update.author),
        changes: [{ field: 'state', from: null, to: state }],
        summary: shortText(`Pull request #${prId} ${verb} in ${repo.fullName}`) ?? ''
      }
    }
    case 'approval':
    case 'changes_requested': {
      const entry = asRecord(found.kind === 'approval' ? item.approval : item.changes_requested)
      const actor = userHint(entry.user)
      const who = actor?.account_id ?? asString(asRecord(entry.user).uuid) ?? 'unknown'
      const approved = found.kind === 'approval'
      return {
        ...common,
        source_record_id: `${base}:${found.kind}:${who}:${String(epochMs(found.date) ?? found.date)}`,
        occurred_at: found.date,
        operation: approved ? 'pr_approved' : 'pr_changes_requested',
        actor,
        summary: shortText(`Pull request #${prId} ${approved ? 'approved' : 'marked changes requested'} in ${repo.fullName}`) ?? ''
      }
    }
    case 'comment': {
      const commentId = asString(comment.id) ?? found.date
      return {
        ...common,
        source_record_id: `${base}:comment:${commentId}`,
        occurred_at: found.date,
        operation: 'pr_commented',
        actor: userHint(comment.user),
        object: { ...object, url: `${object.url ?? repoUrl(repo)}#comment-${commentId}` },
        // Data minimisation: never the comment body.
        summary: shortText(`Comment on pull request #${prId} in ${repo.fullName}`) ?? ''
      }
    }
  }
}

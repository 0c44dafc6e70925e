// Maps one organisation audit event (GET /admin/v1/orgs/{orgId}/events-stream, API-NOTES §3b) to an EventDraft.
// Sign-ins and the Bitbucket audit log arrive here (both need Atlassian Guard); Bitbucket ones keep product 'bitbucket'.
import { Pipeline, Product, type EventDraft, type IdentityHint, type MembershipChange } from '../../events/event.js'
import { asArray, asRecord, asString, shortText, toVerb } from '../jira/site-api.js'
import type { SiteConfig } from '../connector.js'

export const ORG_EVENTS_SOURCE = 'org-events'

// Action keys from /event-actions are snake_case verbs; the exact key strings are unconfirmed (API-NOTES §8),
// so match on meaning rather than one spelling.
// Targets are the operations table of src/events/operations.ts, so category and severity come out right.
const OPERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/(log(ged)?|sign(ed)?)[_ -]?in.*(fail|denied|reject)|(fail|denied).*(log|sign)[_ -]?in/, 'login_failed'],
  [/(logged|log|signed|sign)[_ -]?(in|on)\b|(^|_)login($|_)|user_authenticated/, 'login'],
  [/(logged|log|signed|sign)[_ -]?(out|off)\b|(^|_)logout($|_)/, 'logout'],
  [/(add|added|join|joined).*group|group.*member.*(add|added)/, 'group_membership_changed'],
  [/(remove|removed|left|leave|deleted).*from.*group|group.*member.*(remov|delet)/, 'group_membership_changed'],
  [/group.*(creat|add)|(creat|add).*group/, 'group_created'],
  [/group.*(delet|remov)|(delet|remov).*group/, 'group_deleted'],
  [/password/, 'password_reset'],
  [/api[_ -]?(token|key).*(revok|delet)/, 'api_token_revoked'],
  [/api[_ -]?(token|key)/, 'api_token_created'],
  [/(two|2)[_ -]?(step|factor)|mfa|2sv|2fa/, 'two_step_verification_changed'],
  [/reactivat|restor/, 'user_reactivated'],
  [/deactivat|suspend/, 'user_deactivated'],
  [/(user|account).*(delet|clos)/, 'user_deleted'],
  [/(user|account).*(creat|invit)|invit/, 'user_created'],
  [/email/, 'email_changed'],
  [/renam|full[_ -]?name|(user|account|profile).*updat/, 'user_updated'],
  [/product[_ -]?access.*(revok|remov)/, 'product_access_revoked'],
  [/product[_ -]?access/, 'product_access_granted'],
  [/admin.*(revok|remov)/, 'admin_role_revoked'],
  [/admin.*(grant|add)/, 'admin_role_granted'],
  [/branch[_ -]?restriction/, 'branch_restriction_changed'],
  [/repo(sitory)?.*permission/, 'repository_permission_changed'],
  [/permission|role/, 'permission_changed'],
  [/polic|ip[_ -]?allow|allowlist/, 'security_policy_changed'],
  [/setting|config/, 'settings_changed'],
  [/repo(sitory)?.*(creat)/, 'repository_created'],
  [/repo(sitory)?.*(delet)/, 'repository_deleted'],
  [/export/, 'data_exported']
]

export function orgEventOperation (action: string): string {
  const key = action.toLowerCase()
  for (const [pattern, operation] of OPERATIONS) if (pattern.test(key)) return operation
  return toVerb(action)
}

function membershipAction (action: string): 'added' | 'removed' | null {
  const key = action.toLowerCase()
  if (!/group/.test(key)) return null
  if (/(remove|removed|left|leave|deleted)/.test(key) && !/(creat)/.test(key)) return 'removed'
  if (/(add|added|join|joined)/.test(key) && !/(creat)/.test(key)) return 'added'
  return null
}

type Item = Record<string, unknown>

function itemsOf (attributes: Item): Item[] {
  return [...asArray(attributes.context), ...asArray(attributes.container)].map(asRecord)
}

function typeOf (item: Item): string {
  return (asString(item.type) ?? '').toLowerCase()
}

function isUser (item: Item): boolean { return /^(users?|accounts?|atlassian[-_]?accounts?)$/.test(typeOf(item)) }
function isGroup (item: Item): boolean { return /^groups?$/.test(typeOf(item)) }

function nameOf (item: Item): string | null {
  const attrs = asRecord(item.attributes)
  return asString(attrs.name) ?? asString(attrs.displayName) ?? asString(attrs.siteName) ?? asString(attrs.slug) ??
    asString(attrs.fullName) ?? asString(item.name)
}

/** Bitbucket audit records: the API's product filter value, or Bitbucket-typed containers (workspaces, repositories). */
export function isBitbucketEvent (attributes: Item): boolean {
  const product = asString(attributes.product) ?? asString(asRecord(attributes.product).key)
  if (product !== null) return product.toLowerCase() === 'bitbucket'
  if (itemsOf(attributes).some((item) => /bitbucket|repositor|workspace/.test(typeOf(item)))) return true
  return /^bitbucket[_.:-]/i.test(asString(attributes.action) ?? '')
}

function membershipOf (action: string, attributes: Item): MembershipChange | null {
  const change = membershipAction(action)
  if (change === null) return null
  const items = itemsOf(attributes)
  const user = items.find(isUser)
  const group = items.find(isGroup)
  const accountId = user !== undefined ? asString(user.id) : null
  const groupName = group !== undefined ? (nameOf(group) ?? asString(group.id)) : null
  if (accountId === null || groupName === null) return null
  // The member is the user the event is about; the actor is the admin who made the change.
  return { group: groupName, account_id: accountId, action: change }
}

function actorOf (attributes: Item): IdentityHint | null {
  const actor = asRecord(attributes.actor)
  const id = asString(actor.id)
  if (id === null || id === '') return null
  return {
    account_id: id,
    display_name: asString(actor.name),
    // Plaintext only until ingest encrypts it; never copied into the summary.
    email: asString(actor.email)
  }
}

/** workspace/repository of a Bitbucket-typed item, from whichever attribute spelling it uses. */
function bitbucketPath (item: Item): { workspace: string | null, repository: string | null } {
  const attrs = asRecord(item.attributes)
  const full = asString(attrs.fullName) ?? asString(attrs.full_name)
  if (full !== null && full.includes('/')) {
    const [workspace, repository] = full.split('/', 2)
    return { workspace: workspace ?? null, repository: repository ?? null }
  }
  return {
    workspace: asString(attrs.workspaceSlug) ?? asString(attrs.workspace) ?? (/workspace/.test(typeOf(item)) ? asString(attrs.slug) ?? asString(attrs.name) : null),
    repository: asString(attrs.repository) ?? asString(attrs.repositorySlug) ?? (/repositor/.test(typeOf(item)) ? asString(attrs.slug) ?? asString(attrs.name) : null)
  }
}

function objectOf (attributes: Item, site: SiteConfig, bitbucket: boolean, fallbackId: string): EventDraft['object'] {
  const items = itemsOf(attributes)
  if (bitbucket) {
    // The Bitbucket audit record is about a repository or workspace; the user involved stays in the membership/actor.
    const bb = items.filter((i) => /bitbucket|repositor|workspace/.test(typeOf(i)))
    let workspace: string | null = null
    let repository: string | null = null
    let id: string | null = null
    for (const item of bb) {
      const path = bitbucketPath(item)
      workspace ??= path.workspace
      if (repository === null && path.repository !== null) { repository = path.repository; id = asString(item.id) }
      id ??= asString(item.id)
    }
    const safe = (v: string | null): v is string => v !== null && /^[\w.-]+$/.test(v)
    const url = safe(workspace) ? `https://bitbucket.org/${workspace}${safe(repository) ? `/${repository}` : ''}` : 'https://bitbucket.org/'
    return {
      type: repository !== null ? 'repository' : 'workspace',
      id: id ?? fallbackId,
      name: shortText(repository ?? workspace),
      container: shortText(workspace !== null && repository !== null ? `${workspace}/${repository}` : workspace, 120),
      url
    }
  }
  const context = asArray(attributes.context).map(asRecord)
  const containers = asArray(attributes.container).map(asRecord)
  // The subject (a group before its member, else the user) is in context; the container names where it happened.
  const subject = context.find(isGroup) ?? context[0] ?? items[0]
  const container = containers[0]
  const type = subject !== undefined ? typeOf(subject).replace(/ies$/, 'y').replace(/s$/, '') : 'organization'
  const id = subject !== undefined ? (asString(subject.id) ?? fallbackId) : (site.orgId ?? fallbackId)
  const containerName = container !== undefined ? nameOf(container) : null
  return {
    type: type === '' ? 'unknown' : type,
    id,
    name: subject !== undefined ? shortText(nameOf(subject)) : null,
    container: shortText(containerName, 120),
    url: adminAuditUrl(site)
  }
}

function adminAuditUrl (site: SiteConfig): string {
  return site.orgId !== null
    ? `https://admin.atlassian.com/o/${encodeURIComponent(site.orgId)}/audit-log`
    : 'https://admin.atlassian.com/'
}

export function mapOrgEvent (raw: unknown, site: SiteConfig): EventDraft | null {
  const event = asRecord(raw)
  const id = asString(event.id)
  const attributes = asRecord(event.attributes)
  const time = asString(attributes.time) ?? (typeof attributes.time === 'number' ? attributes.time : null)
  if (id === null || time === null) return null
  const action = asString(attributes.action) ?? 'unknown'
  const bitbucket = isBitbucketEvent(attributes)
  const location = asRecord(attributes.location)
  const message = asRecord(event.message)
  return {
    site: site.id,
    product: bitbucket ? Product.Bitbucket : Product.Admin,
    pipeline: Pipeline.Audit,
    source: ORG_EVENTS_SOURCE,
    source_record_id: id,
    occurred_at: time,
    operation: orgEventOperation(action),
    actor: actorOf(attributes),
    object: objectOf(attributes, site, bitbucket, id),
    changes: [],
    source_ip: asString(location.ip),
    summary: shortText(asString(message.content) ?? action) ?? action,
    membership: membershipOf(action, attributes)
  }
}

/** Ordering key of the stream: processedAt where given (late events sort by arrival), else time. */
export function processedAtOf (raw: unknown): number | null {
  const attributes = asRecord(asRecord(raw).attributes)
  for (const value of [attributes.processedAt, attributes.time]) {
    if (typeof value === 'number' && Number.isFinite(value)) return value
    if (typeof value === 'string') {
      const ms = Date.parse(value)
      if (!Number.isNaN(ms)) return ms
    }
  }
  return null
}

// Maps directory records (org admin users, Jira users) to identity updates. Emails pass through in plaintext
// only as far as the identities repository, which encrypts them; nothing here logs or stores them.
import { Product } from '../../events/event.js'
import { asArray, asRecord, asString } from '../jira/site-api.js'
import type { DirectoryUserUpdate } from '../connector.js'

/** Admin API product keys (product_access[].key) → our products. */
export function productOfKey (key: string | null): Product | null {
  if (key === null) return null
  const k = key.toLowerCase()
  if (/servicedesk|service-management|jira-service/.test(k)) return Product.Jsm
  if (/^jira/.test(k)) return Product.Jira
  if (/confluence/.test(k)) return Product.Confluence
  if (/bitbucket/.test(k)) return Product.Bitbucket
  return null
}

function date (value: unknown): Date | null {
  const text = asString(value)
  if (text === null) return null
  const d = new Date(text)
  return Number.isNaN(d.getTime()) ? null : d
}

/** One user of GET /admin/v1/orgs/{orgId}/users (managed accounts; email absent when restricted). */
export function mapAdminUser (raw: unknown): DirectoryUserUpdate | null {
  const user = asRecord(raw)
  const accountId = asString(user.account_id)
  if (accountId === null || accountId === '' || accountId === 'unknown') return null
  const lastActive: Partial<Record<Product, Date>> = {}
  for (const access of asArray(user.product_access).map(asRecord)) {
    const product = productOfKey(asString(access.key))
    const at = date(access.last_active)
    if (product === null || at === null) continue
    const prev = lastActive[product]
    if (prev === undefined || at > prev) lastActive[product] = at
  }
  return {
    account_id: accountId,
    display_name: asString(user.name),
    email: asString(user.email),
    account_type: asString(user.account_type),
    account_status: asString(user.account_status),
    last_active: lastActive
  }
}

/** One user of GET /rest/api/3/users/search or a group member (email only where the user's privacy setting allows). */
export function mapJiraUser (raw: unknown): DirectoryUserUpdate | null {
  const user = asRecord(raw)
  const accountId = asString(user.accountId)
  if (accountId === null || accountId === '' || accountId === 'unknown') return null
  return {
    account_id: accountId,
    display_name: asString(user.displayName),
    email: asString(user.emailAddress),
    account_type: asString(user.accountType),
    account_status: typeof user.active === 'boolean' ? (user.active ? 'active' : 'inactive') : null
  }
}

/** A group of GET /rest/api/3/group/bulk. */
export function mapJiraGroup (raw: unknown): { name: string, id: string | null } | null {
  const group = asRecord(raw)
  const name = asString(group.name)
  if (name === null || name === '') return null
  return { name, id: asString(group.groupId) }
}

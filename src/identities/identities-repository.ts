// Identities: one document per Atlassian account id, fed by event actors (ingest) and the directory connector.
// Emails are Fernet-encrypted with a blind index beside them; display names are plaintext (the documented
// deviation) unless strict mode encrypts them too.
import type { AnyBulkWriteOperation, Db, Filter, UpdateFilter } from 'mongodb'
import type { Logger } from 'pino'
import type { BlindIndex, FieldCipher } from '../crypto/field-cipher.js'
import type { IdentityHint, Product } from '../events/event.js'
import { nameSortKey, type IdentityDoc } from './identity.js'
import { looksLikeEmail, parseRawAuthor, scrubEmails } from './raw-author.js'

export const IDENTITIES = 'identities'
const MAX_NAME = 200
const HOUR_MS = 3_600_000

/** An identity as reported by one source at one time. */
export interface IdentityObservation {
  hint: IdentityHint
  site: string | null
  product: Product | null
  at: Date
  /** True when the observation is the account acting (an event), which bumps last_active for the product. */
  active: boolean
  /** normaliseHint(hint), when the caller already has it (ingest resolves actors first): not normalised twice. */
  normalised?: NormalisedHint
}

/** What the directory connector hands over: the org/Jira user list, current state. */
export interface DirectoryUser extends IdentityHint {
  /** Last-active per product as the admin API reports it. */
  last_active?: Partial<Record<Product, Date>> | null
}

export interface IdentityView {
  account_id: string
  display_name: string | null
  account_type: string | null
  account_status: string | null
  product_ids: Partial<Record<Product, string>>
  sites: string[]
  first_seen: Date
  last_seen: Date
  last_active: Partial<Record<Product, Date>>
  has_email: boolean
}

export interface NormalisedHint {
  account_id: string
  display_name: string | null
  email: string | null
  account_type: string | null
  account_status: string | null
  product_ids: Partial<Record<Product, string>>
}

export interface IdentitiesRepositoryOptions {
  db: Db
  cipher: FieldCipher
  blindIndex: BlindIndex
  encryptDisplayNames: boolean
  logger: Logger
  now?: () => Date
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null)

export function createIdentitiesRepository (opts: IdentitiesRepositoryOptions) {
  const { db, cipher, blindIndex, encryptDisplayNames, logger } = opts
  const now = opts.now ?? (() => new Date())
  const col = db.collection<IdentityDoc>(IDENTITIES)
  /**
   * Resolves a hint to an account id plus clean fields: raw "Name <email>" authors are parsed, a display name
   * that is really an email is treated as the email, and an author with no account gets a keyed pseudonym.
   */
  function normaliseHint (hint: IdentityHint | null | undefined): NormalisedHint | null {
    if (!hint) return null
    const raw = parseRawAuthor(hint.raw_author)
    let name = str(hint.display_name) ?? raw.name
    let email = str(hint.email) ?? raw.email
    if (name && looksLikeEmail(name)) {
      email ??= name
      name = null
    }
    if (name) name = scrubEmails(name).slice(0, MAX_NAME)
    if (email && !looksLikeEmail(email)) email = null
    let accountId = str(hint.account_id)
    if (!accountId) {
      // Keyed HMAC, not a plain hash: an unkeyed digest of an email could be reversed by guessing.
      const basis = email ?? name
      if (!basis) return null
      accountId = `unlinked:${blindIndex.email(basis).slice(0, 22)}`
    }
    const productIds: Partial<Record<Product, string>> = {}
    for (const [p, id] of Object.entries(hint.product_ids ?? {})) {
      const v = str(id)
      if (v) productIds[p as Product] = v
    }
    return {
      account_id: accountId,
      display_name: name,
      email,
      account_type: str(hint.account_type),
      account_status: str(hint.account_status),
      product_ids: productIds
    }
  }

  interface Merged {
    id: string
    first: Date
    last: Date
    name: { value: string, at: Date } | null
    email: { value: string, at: Date } | null
    accountType: string | null
    accountStatus: string | null
    productIds: Partial<Record<Product, string>>
    sites: Set<string>
    lastActive: Partial<Record<Product, Date>>
  }

  function merge (observations: Array<IdentityObservation & { normalised: NormalisedHint }>): Map<string, Merged> {
    const byId = new Map<string, Merged>()
    for (const o of observations) {
      const n = o.normalised
      let m = byId.get(n.account_id)
      if (!m) {
        m = { id: n.account_id, first: o.at, last: o.at, name: null, email: null, accountType: null, accountStatus: null, productIds: {}, sites: new Set(), lastActive: {} }
        byId.set(n.account_id, m)
      }
      if (o.at < m.first) m.first = o.at
      if (o.at > m.last) m.last = o.at
      const newer = (cur: { at: Date } | null): boolean => cur === null || o.at >= cur.at
      if (n.display_name && newer(m.name)) m.name = { value: n.display_name, at: o.at }
      if (n.email && newer(m.email)) m.email = { value: n.email, at: o.at }
      if (n.account_type) m.accountType = n.account_type
      if (n.account_status) m.accountStatus = n.account_status
      Object.assign(m.productIds, n.product_ids)
      if (o.site) m.sites.add(o.site)
      if (o.active && o.product) {
        const prev = m.lastActive[o.product]
        if (!prev || o.at > prev) m.lastActive[o.product] = o.at
      }
    }
    return byId
  }

  type Current = Pick<IdentityDoc, '_id' | 'display_name' | 'display_name_enc' | 'display_name_hmac' | 'display_name_seen_at' | 'email_hmac' |
  'first_seen' | 'last_seen' | 'last_active' | 'sites' | 'product_ids' | 'account_type' | 'account_status'>

  /**
   * Whether the upsert would change anything that matters. Seen/active times are kept to the hour: a sync every
   * few minutes then rewrites an identity at most hourly instead of once per page (ingest speed).
   */
  function upsertNeeded (m: Merged, current: Current | undefined, lastActive: Partial<Record<Product, Date>>, nameChange: boolean): boolean {
    if (!current || nameChange) return true
    const later = (a: Date, b: Date | undefined): boolean => b === undefined || a.getTime() > b.getTime() + HOUR_MS
    if (later(m.last, current.last_seen)) return true
    if (current.first_seen === undefined || m.first.getTime() < current.first_seen.getTime() - HOUR_MS) return true
    if (m.name && later(m.name.at, current.display_name_seen_at)) return true
    for (const [p, at] of Object.entries(lastActive)) if (at && later(at, current.last_active?.[p as Product])) return true
    for (const site of m.sites) if (!(current.sites ?? []).includes(site)) return true
    for (const [p, id] of Object.entries(m.productIds)) if (current.product_ids?.[p as Product] !== id) return true
    return (m.accountType !== null && m.accountType !== current.account_type) ||
      (m.accountStatus !== null && m.accountStatus !== current.account_status)
  }

  function nameChanged (current: Current | undefined, name: string, at: Date): boolean {
    if (!current) return true
    if (current.display_name_seen_at && current.display_name_seen_at > at) return false
    return encryptDisplayNames
      ? typeof current.display_name === 'string' || current.display_name_hmac !== blindIndex.name(name)
      : current.display_name !== name || typeof current.display_name_enc === 'string'
  }

  /** One read per batch (by _id) so the writes below carry only real changes. */
  async function currentOf (ids: string[]): Promise<Map<string, Current>> {
    if (ids.length === 0) return new Map()
    const docs = await col.find({ _id: { $in: ids } }, {
      projection: { display_name: 1, display_name_enc: 1, display_name_hmac: 1, display_name_seen_at: 1, email_hmac: 1, first_seen: 1, last_seen: 1, last_active: 1, sites: 1, product_ids: 1, account_type: 1, account_status: 1 }
    }).toArray()
    return new Map(docs.map((d) => [d._id, d]))
  }

  function upsertOp (m: Merged, writtenAt: Date, lastActive: Partial<Record<Product, Date>>): AnyBulkWriteOperation<IdentityDoc> {
    const set: Record<string, unknown> = { updated_at: writtenAt }
    if (m.accountType) set.account_type = m.accountType
    if (m.accountStatus) set.account_status = m.accountStatus
    for (const [p, id] of Object.entries(m.productIds)) set[`product_ids.${p}`] = id
    const max: Record<string, Date> = { last_seen: m.last }
    // Confirms the stored name as of this report; the conditional name op below relies on it.
    if (m.name) max.display_name_seen_at = m.name.at
    for (const [p, at] of Object.entries(lastActive)) max[`last_active.${p}`] = at as Date
    const update: Record<string, unknown> = { $set: set, $min: { first_seen: m.first }, $max: max }
    if (m.sites.size > 0) update.$addToSet = { sites: { $each: [...m.sites] } }
    return { updateOne: { filter: { _id: m.id }, update, upsert: true } }
  }

  function opsFor (m: Merged, current: Current | undefined, writtenAt: Date, extraLastActive?: Partial<Record<Product, Date>> | null): Array<AnyBulkWriteOperation<IdentityDoc>> {
    const ops: Array<AnyBulkWriteOperation<IdentityDoc>> = []
    const lastActive: Partial<Record<Product, Date>> = { ...m.lastActive }
    for (const [p, at] of Object.entries(extraLastActive ?? {})) {
      if (at instanceof Date && !Number.isNaN(at.getTime())) lastActive[p as Product] = at
    }
    const nameChange = m.name !== null && nameChanged(current, m.name.value, m.name.at)
    if (upsertNeeded(m, current, lastActive, nameChange)) ops.push(upsertOp(m, writtenAt, lastActive))
    // The name and email ops run only when the pre-read shows a change, so Fernet (slow) is paid once per change.
    if (m.name && nameChange) {
      // An older report (a late page) never overwrites a newer name: the upsert above has already raised
      // display_name_seen_at to max(stored, this report), so this matches only when this report is the newest.
      const filter = { _id: m.id, display_name_seen_at: m.name.at } as Filter<IdentityDoc>
      const update: UpdateFilter<IdentityDoc> = encryptDisplayNames
        ? { $set: { display_name: null, display_name_enc: cipher.encrypt(m.name.value), display_name_hmac: blindIndex.name(m.name.value) }, $unset: { name_sort: '' } }
        : { $set: { display_name: m.name.value, name_sort: nameSortKey(m.name.value) }, $unset: { display_name_enc: '', display_name_hmac: '' } }
      ops.push({ updateOne: { filter, update } })
    }
    if (m.email) {
      const hmac = blindIndex.email(m.email.value)
      if (current?.email_hmac !== hmac) {
        ops.push({
          updateOne: {
            filter: { _id: m.id, email_hmac: { $ne: hmac } },
            update: { $set: { email_enc: cipher.encrypt(m.email.value), email_hmac: hmac, email_hmac_key: blindIndex.keyFingerprint() } }
          }
        })
      }
    }
    return ops
  }

  async function write (ops: Array<AnyBulkWriteOperation<IdentityDoc>>): Promise<void> {
    if (ops.length === 0) return
    // Ordered: each identity's upsert must land before its conditional name/email updates.
    await col.bulkWrite(ops, { ordered: true })
  }

  /** Upserts every identity seen in a batch with one bulkWrite; returns the account ids touched. */
  async function observe (observations: IdentityObservation[]): Promise<number> {
    const normalised: Array<IdentityObservation & { normalised: NormalisedHint }> = []
    for (const o of observations) {
      const n = o.normalised ?? normaliseHint(o.hint)
      if (n) normalised.push({ ...o, normalised: n })
    }
    const merged = merge(normalised)
    const at = now()
    const current = await currentOf([...merged.keys()])
    const ops = [...merged.values()].flatMap((m) => opsFor(m, current.get(m.id), at))
    await write(ops)
    return merged.size
  }

  async function upsertFromDirectory (users: DirectoryUser[], site: string | null = null): Promise<number> {
    const at = now()
    const merged: Array<{ m: Merged, lastActive: DirectoryUser['last_active'] }> = []
    for (const user of users) {
      const n = normaliseHint(user)
      if (!n) continue
      const [m] = merge([{ hint: user, site, product: null, at, active: false, normalised: n }]).values()
      if (m) merged.push({ m, lastActive: user.last_active })
    }
    const current = await currentOf(merged.map(({ m }) => m.id))
    const ops = merged.flatMap(({ m, lastActive }) => opsFor(m, current.get(m.id), at, lastActive))
    await write(ops)
    const count = merged.length
    logger.debug({ users: count }, 'directory identities upserted')
    return count
  }

  function displayName (doc: Pick<IdentityDoc, 'display_name' | 'display_name_enc'>): string | null {
    if (doc.display_name_enc) {
      try {
        return cipher.decrypt(doc.display_name_enc)
      } catch {
        return null
      }
    }
    return doc.display_name ?? null
  }

  function toView (doc: IdentityDoc): IdentityView {
    return {
      account_id: doc._id,
      display_name: displayName(doc),
      account_type: doc.account_type ?? null,
      account_status: doc.account_status ?? null,
      product_ids: doc.product_ids ?? {},
      sites: doc.sites ?? [],
      first_seen: doc.first_seen,
      last_seen: doc.last_seen,
      last_active: doc.last_active ?? {},
      has_email: typeof doc.email_enc === 'string'
    }
  }

  async function get (accountId: string): Promise<IdentityView | null> {
    const doc = await col.findOne({ _id: accountId })
    return doc ? toView(doc) : null
  }

  /** Exact lookup through the blind index; matches under any configured key so it works mid-rotation. */
  async function findByEmail (email: string): Promise<IdentityView | null> {
    if (!looksLikeEmail(email)) return null
    const doc = await col.findOne({ email_hmac: { $in: blindIndex.emailCandidates(email) } })
    return doc ? toView(doc) : null
  }

  /** Decrypts one identity's email for display on request; the caller must not cache it beyond the request. */
  async function revealEmail (accountId: string): Promise<string | null> {
    const doc = await col.findOne({ _id: accountId }, { projection: { email_enc: 1 } })
    return doc?.email_enc ? cipher.decrypt(doc.email_enc) : null
  }

  /** account id → display name, in both modes (strict mode decrypts in the application). */
  async function resolveNames (accountIds: Iterable<string>): Promise<Map<string, string | null>> {
    const ids = [...new Set(accountIds)]
    const names = new Map<string, string | null>(ids.map((id) => [id, null]))
    if (ids.length === 0) return names
    const cursor = col.find({ _id: { $in: ids } }, { projection: { display_name: 1, display_name_enc: 1 } })
    for await (const doc of cursor) names.set(doc._id, displayName(doc))
    return names
  }

  /** Identities sorted case-insensitively by name (people pickers); strict mode sorts after decrypting. */
  async function listByName (opts: { limit?: number } = {}): Promise<IdentityView[]> {
    const limit = Math.min(Math.max(opts.limit ?? 500, 1), 5000)
    if (!encryptDisplayNames) {
      const docs = await col.find({}).sort({ name_sort: 1, _id: 1 }).limit(limit).toArray()
      return docs.map(toView)
    }
    const docs = await col.find({}).limit(5000).toArray()
    const views = docs.map(toView)
    views.sort((a, b) => {
      const ka = a.display_name === null ? '' : nameSortKey(a.display_name)
      const kb = b.display_name === null ? '' : nameSortKey(b.display_name)
      return ka < kb ? -1 : ka > kb ? 1 : a.account_id < b.account_id ? -1 : 1
    })
    return views.slice(0, limit)
  }

  async function ensureIndexes (): Promise<void> {
    await col.createIndexes([
      { key: { email_hmac: 1 }, name: 'email_hmac', sparse: true },
      { key: { name_sort: 1, _id: 1 }, name: 'name_sort' },
      { key: { last_seen: -1 }, name: 'last_seen' }
    ])
  }

  return { normaliseHint, observe, upsertFromDirectory, get, findByEmail, revealEmail, resolveNames, listByName, ensureIndexes }
}

export type IdentitiesRepository = ReturnType<typeof createIdentitiesRepository>

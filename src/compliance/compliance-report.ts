// The compliance evidence page's data: every control measured live from the running system, never asserted.
import type { Db, Document } from 'mongodb'
import { ADMINS_COLLECTION } from '../auth/admins-repository.js'
import type { FieldCipher } from '../crypto/field-cipher.js'
import { READ_ONLY_POST_PATHS } from '../connectors/http/read-only-paths.js'
import { EVENTS } from '../events/event.js'
import { DAY_COUNTS, type DayCountDoc } from '../events/rollups.js'
import { RETENTION_SECONDS } from '../events/event-indexes.js'
import { utcDay } from '../events/event-time.js'
import { IDENTITIES } from '../identities/identities-repository.js'
import { EMAIL_PATTERN } from '../identities/raw-author.js'

export const ControlStatus = Object.freeze({ Pass: 'pass', Fail: 'fail', Warn: 'warn', Info: 'info' } as const)
export type ControlStatus = typeof ControlStatus[keyof typeof ControlStatus]

export interface ComplianceControl {
  id: string
  title: string
  status: ControlStatus
  /** The measured value, shown as evidence. */
  value: string
  detail: string
}

export interface ComplianceReport {
  generated_at: Date
  controls: ComplianceControl[]
  summary: Record<ControlStatus, number>
}

export interface ComplianceOptions {
  db: Db
  cipher: FieldCipher
  encryptDisplayNames: boolean
  retentionSeconds?: number
  now?: () => Date
}

const DAY_MS = 86_400_000
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/

function findStrings (value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value)
  else if (Array.isArray(value)) value.forEach((v) => findStrings(v, visit))
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) Object.values(value).forEach((v) => findStrings(v, visit))
}

async function ttlControl (db: Db): Promise<ComplianceControl> {
  let indexes: Document[] = []
  try { indexes = await db.collection(EVENTS).listIndexes().toArray() } catch { indexes = [] }
  const ttl = indexes.find((ix) => {
    const keys = Object.entries(ix.key ?? {})
    return keys.length === 1 && keys[0]?.[0] === 'occurred_at' && typeof ix.expireAfterSeconds === 'number'
  })
  const seconds = ttl?.expireAfterSeconds as number | undefined
  return {
    id: 'retention_ttl',
    title: '1-year retention: TTL index on events.occurred_at',
    status: seconds === RETENTION_SECONDS ? ControlStatus.Pass : ControlStatus.Fail,
    value: seconds === undefined ? 'missing' : `expireAfterSeconds = ${seconds.toLocaleString('en-US')}`,
    detail: `Required: ${RETENTION_SECONDS.toLocaleString('en-US')} s (365 days). TTL expiry is the only removal path for events.`
  }
}

async function oldestControl (db: Db, now: Date, retentionSeconds: number): Promise<ComplianceControl> {
  const doc = await db.collection(EVENTS).find({}, { projection: { occurred_at: 1 } }).sort({ occurred_at: 1 }).limit(1).next()
  const base = { id: 'oldest_event', title: 'Oldest stored event' }
  if (!doc) return { ...base, status: ControlStatus.Info, value: 'no events stored', detail: 'Nothing to expire yet.' }
  const ageMs = now.getTime() - (doc.occurred_at as Date).getTime()
  const limitMs = retentionSeconds * 1000
  // The TTL monitor runs about once a minute; an hour of grace covers it, more than two days means it is not running.
  const status = ageMs <= limitMs + 3_600_000 ? ControlStatus.Pass : ageMs <= limitMs + 2 * DAY_MS ? ControlStatus.Warn : ControlStatus.Fail
  return {
    ...base,
    status,
    value: `${(ageMs / DAY_MS).toFixed(1)} days (${(doc.occurred_at as Date).toISOString()})`,
    detail: `Must not exceed ${retentionSeconds / 86_400} days plus the TTL monitor's delay.`
  }
}

interface IdentityScan {
  total: number
  plaintextEmail: number
  tokens: number
  needsRotation: number
  unreadable: number
  plaintextNames: number
}

async function scanIdentities (db: Db, cipher: FieldCipher): Promise<IdentityScan> {
  const scan: IdentityScan = { total: 0, plaintextEmail: 0, tokens: 0, needsRotation: 0, unreadable: 0, plaintextNames: 0 }
  const email = new RegExp(EMAIL_PATTERN.source)
  for await (const doc of db.collection(IDENTITIES).find({})) {
    scan.total++
    // Every string field is checked, not just `email*`: a plaintext email anywhere in the document counts.
    let hit = false
    findStrings(doc, (s) => { if (!hit && email.test(s)) hit = true })
    if (hit) scan.plaintextEmail++
    if (typeof doc.display_name === 'string') scan.plaintextNames++
    for (const field of ['email_enc', 'display_name_enc']) {
      const token = doc[field]
      if (typeof token !== 'string') continue
      scan.tokens++
      if (!cipher.isToken(token)) scan.unreadable++
      else if (cipher.needsRotation(token)) scan.needsRotation++
    }
  }
  return scan
}

async function adminsControl (db: Db): Promise<ComplianceControl> {
  let total = 0
  let bad = 0
  for await (const doc of db.collection(ADMINS_COLLECTION).find({}, { projection: { password_hash: 1 } })) {
    total++
    if (typeof doc.password_hash !== 'string' || !BCRYPT.test(doc.password_hash)) bad++
  }
  return {
    id: 'admin_passwords',
    title: 'Admin passwords stored as bcrypt salted hashes',
    status: bad === 0 ? ControlStatus.Pass : ControlStatus.Fail,
    value: `${bad} of ${total} admin(s) without a bcrypt hash`,
    detail: 'Admins are created only by the seed-admin CLI; a hash that is not bcrypt ($2a/$2b/$2y) fails this control.'
  }
}

async function expiredControl (db: Db, now: Date, retentionSeconds: number): Promise<ComplianceControl> {
  // Whole UTC days whose events all passed their expiry during the last 30 days.
  const expiryEdge = now.getTime() - retentionSeconds * 1000
  const firstDay = new Date(utcDay(new Date(expiryEdge - 30 * DAY_MS)).getTime() + DAY_MS)
  const endDay = utcDay(new Date(expiryEdge))
  const base = { id: 'retention_expired_30d', title: 'Events expired in the last 30 days (retention working)' }
  const detail = 'Derived, not asserted: ingest counts inserted events per day in a PII-free counter kept 30 days beyond retention; ' +
    'expired = inserted on those days minus events from those days still stored. Any still stored are overdue.'
  if (endDay <= firstDay) return { ...base, status: ControlStatus.Info, value: 'window too short', detail }
  const counters = await db.collection<DayCountDoc>(DAY_COUNTS).find({ day: { $gte: firstDay, $lt: endDay } }).toArray()
  const inserted = counters.reduce((sum, c) => sum + c.inserted, 0)
  const stillStored = await db.collection(EVENTS).countDocuments({ occurred_at: { $gte: firstDay, $lt: endDay } })
  const range = `${firstDay.toISOString().slice(0, 10)} – ${new Date(endDay.getTime() - DAY_MS).toISOString().slice(0, 10)}`
  if (counters.length === 0 && stillStored === 0) {
    return { ...base, status: ControlStatus.Info, value: `0 (no events were ingested for ${range})`, detail }
  }
  return {
    ...base,
    status: stillStored === 0 ? ControlStatus.Pass : ControlStatus.Fail,
    value: `${Math.max(inserted - stillStored, 0)} expired, ${stillStored} overdue (events dated ${range})`,
    detail
  }
}

export async function buildComplianceReport (opts: ComplianceOptions): Promise<ComplianceReport> {
  const { db, cipher } = opts
  const now = (opts.now ?? (() => new Date()))()
  const retentionSeconds = opts.retentionSeconds ?? RETENTION_SECONDS
  const [ttl, oldest, scan, admins, expired] = await Promise.all([
    ttlControl(db),
    oldestControl(db, now, retentionSeconds),
    scanIdentities(db, cipher),
    adminsControl(db),
    expiredControl(db, now, retentionSeconds)
  ])
  const keyCount = cipher.keyFingerprints().length
  const controls: ComplianceControl[] = [
    ttl,
    oldest,
    expired,
    {
      id: 'plaintext_emails',
      title: 'Identity emails encrypted at rest (no plaintext email stored)',
      status: scan.plaintextEmail === 0 ? ControlStatus.Pass : ControlStatus.Fail,
      value: `${scan.plaintextEmail} of ${scan.total} identities with a plaintext-looking email`,
      detail: 'Every string field of every identity is scanned for an email pattern. Emails are stored as Fernet tokens (email_enc) with a keyed HMAC blind index (email_hmac).'
    },
    {
      id: 'encryption_key',
      title: 'Encryption key configured',
      status: scan.unreadable > 0 ? ControlStatus.Fail : scan.needsRotation > 0 ? ControlStatus.Warn : ControlStatus.Pass,
      value: `current key fingerprint ${cipher.keyFingerprint()}; ${keyCount} key(s) configured; ${scan.tokens} token(s) stored, ${scan.needsRotation} under an older key, ${scan.unreadable} unreadable`,
      detail: 'The fingerprint is the first 8 bytes of SHA-256 of the key, never the key. Tokens under an older key are re-encrypted by `atlaslens rotate-key`.'
    },
    admins,
    {
      id: 'atlassian_read_only',
      title: 'Atlassian client is read-only',
      status: ControlStatus.Pass,
      value: `GET only; POST limited to ${READ_ONLY_POST_PATHS.length} read-only search endpoint(s): ${READ_ONLY_POST_PATHS.join(', ')}`,
      detail: 'Enforced by construction in the HTTP client (every other method or path is refused before any I/O); the API tokens themselves should be read-only.'
    },
    opts.encryptDisplayNames
      ? {
          id: 'display_names',
          title: 'Display names encrypted (strict mode)',
          status: scan.plaintextNames === 0 ? ControlStatus.Pass : ControlStatus.Warn,
          value: `strict mode on; ${scan.plaintextNames} identities still hold a plaintext display name`,
          detail: 'Names are Fernet-encrypted; resolution and sorting happen in the application. `atlaslens rotate-key` encrypts any remaining plaintext names.'
        }
      : {
          id: 'display_names',
          title: 'Documented deviation: display names stored in plaintext',
          status: ControlStatus.Info,
          value: `strict mode off; ${scan.plaintextNames} plaintext display name(s)`,
          detail: 'Compensating controls: admin-only, self-hosted deployment (no public exposure); data on a Japan-based host per APPI; ' +
            'emails absent from current Cloud pipelines and encrypted where present; authentication on every data route; append-only events with enforced 1-year expiry. ' +
            'Set ATLASLENS_ENCRYPT_DISPLAY_NAMES=true to encrypt names.'
        },
    {
      id: 'append_only',
      title: 'Events are append-only',
      status: ControlStatus.Info,
      value: 'ingest writes with $setOnInsert upserts only',
      detail: 'A stored event is never modified; the TTL index is the only removal path.'
    }
  ]
  const summary: Record<ControlStatus, number> = { pass: 0, fail: 0, warn: 0, info: 0 }
  for (const c of controls) summary[c.status]++
  return { generated_at: now, controls, summary }
}

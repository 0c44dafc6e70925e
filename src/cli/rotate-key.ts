// rotate-key: re-encrypts every stored Fernet token under the first configured key and recomputes the blind
// indexes. Resumable: progress (last _id) is saved after each batch, and re-running a finished rotation only
// verifies (cheap MAC checks) and reports everything as already current.
import type { Db, Document } from 'mongodb'
import type { Logger } from 'pino'
import { createBlindIndex, createFieldCipher } from '../crypto/field-cipher.js'
import { IDENTITIES } from '../identities/identities-repository.js'
import type { IdentityDoc } from '../identities/identity.js'

export const MAINTENANCE = 'maintenance'
const STATE_ID = 'rotate-key'

export interface RotateKeyOptions {
  db: Db
  keys: readonly string[]
  logger: Logger
  out: (line: string) => void
  /** Strict mode: also encrypt display names still stored in plaintext. */
  encryptDisplayNames?: boolean
  batchSize?: number
  /** Checked between batches; an aborted run resumes where it stopped. */
  signal?: AbortSignal
}

export interface RotateKeyResult {
  scanned: number
  rotated: number
  alreadyCurrent: number
  failed: number
  /** Plaintext display names encrypted (strict mode only). */
  migrated: number
  resumed: boolean
  completed: boolean
}

interface StateDoc {
  _id: string
  target: string
  last_id: string | null
  started_at: Date
  updated_at: Date
  completed_at: Date | null
}

export async function runRotateKey (opts: RotateKeyOptions): Promise<RotateKeyResult> {
  const { db, out } = opts
  const cipher = createFieldCipher(opts.keys)
  const blindIndex = createBlindIndex(opts.keys)
  const target = cipher.keyFingerprint()
  const batchSize = opts.batchSize ?? 200
  const identities = db.collection<IdentityDoc>(IDENTITIES)
  const states = db.collection<StateDoc>(MAINTENANCE)
  const result: RotateKeyResult = { scanned: 0, rotated: 0, alreadyCurrent: 0, failed: 0, migrated: 0, resumed: false, completed: false }

  const state = await states.findOne({ _id: STATE_ID })
  let lastId: string | null = null
  if (state && state.target === target && state.completed_at === null && state.last_id !== null) {
    lastId = state.last_id
    result.resumed = true
    out(`Resuming the rotation to key ${target} from where the previous run stopped.`)
  } else {
    await states.updateOne({ _id: STATE_ID }, { $set: { target, last_id: null, started_at: new Date(), updated_at: new Date(), completed_at: null } }, { upsert: true })
    out(`Rotating stored tokens to key ${target} (${opts.keys.length} key(s) configured).`)
  }

  for (;;) {
    if (opts.signal?.aborted) {
      out('Stopped; run rotate-key again to resume.')
      return result
    }
    const docs = await identities
      .find(lastId === null ? {} : { _id: { $gt: lastId } }, { projection: { email_enc: 1, email_hmac_key: 1, display_name: 1, display_name_enc: 1 } })
      .sort({ _id: 1 })
      .limit(batchSize)
      .toArray()
    if (docs.length === 0) break
    for (const doc of docs) {
      const set: Document = {}
      const unset: Document = {}
      const guard: Document = { _id: doc._id }
      let changed = 0

      if (typeof doc.email_enc === 'string') {
        result.scanned++
        const stale = cipher.needsRotation(doc.email_enc) || doc.email_hmac_key !== target
        if (!stale) result.alreadyCurrent++
        else {
          try {
            const email = cipher.decrypt(doc.email_enc)
            if (cipher.needsRotation(doc.email_enc)) set.email_enc = cipher.encrypt(email)
            set.email_hmac = blindIndex.email(email)
            set.email_hmac_key = target
            guard.email_enc = doc.email_enc
            changed++
          } catch {
            result.failed++
          }
        }
      }
      if (typeof doc.display_name_enc === 'string') {
        result.scanned++
        if (!cipher.needsRotation(doc.display_name_enc)) result.alreadyCurrent++
        else {
          try {
            const name = cipher.decrypt(doc.display_name_enc)
            set.display_name_enc = cipher.encrypt(name)
            set.display_name_hmac = blindIndex.name(name)
            guard.display_name_enc = doc.display_name_enc
            changed++
          } catch {
            result.failed++
          }
        }
      } else if (opts.encryptDisplayNames === true && typeof doc.display_name === 'string') {
        set.display_name_enc = cipher.encrypt(doc.display_name)
        set.display_name_hmac = blindIndex.name(doc.display_name)
        set.display_name = null
        unset.name_sort = ''
        guard.display_name = doc.display_name
        result.migrated++
      }
      if (Object.keys(set).length > 0) {
        // Guarded on the old values: if ingest rewrote the field meanwhile, it already used the current key.
        await identities.updateOne(guard, Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set })
        result.rotated += changed
      }
    }
    lastId = (docs[docs.length - 1] as IdentityDoc)._id
    await states.updateOne({ _id: STATE_ID }, { $set: { last_id: lastId, updated_at: new Date() } })
    out(`… ${result.scanned} token(s) checked so far`)
  }

  await states.updateOne({ _id: STATE_ID }, { $set: { completed_at: new Date(), updated_at: new Date() } })
  result.completed = true
  opts.logger.info({ target, scanned: result.scanned, rotated: result.rotated, alreadyCurrent: result.alreadyCurrent, failed: result.failed, migrated: result.migrated }, 'key rotation finished')
  out(`identities: scanned ${result.scanned} token(s), rotated ${result.rotated}, already current ${result.alreadyCurrent}, failed ${result.failed}` +
    (opts.encryptDisplayNames === true ? `, display names encrypted ${result.migrated}` : ''))
  if (result.failed > 0) out('Some tokens verify under none of the configured keys: add the key they were written with and run again.')
  return result
}

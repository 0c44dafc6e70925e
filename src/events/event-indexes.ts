// Startup index creation, idempotent. The TTL index is the retention control itself: if one exists with another
// expiry it is corrected in place (collMod) and the correction is logged, never silently left as it was.
import type { Collection, Db, Document, IndexDescription } from 'mongodb'
import type { Logger } from 'pino'
import { DAY_COUNTS, ROLLUPS } from './rollups.js'
import { CLOSED_MARKER_TTL_SECONDS, ROLLUP_REPAIRS } from './rollup-repair.js'
import { EVENTS } from './event.js'

export const RETENTION_SECONDS = 31_536_000
export const EVENTS_TTL_INDEX = 'occurred_at_ttl'
const DAY_SECONDS = 86_400
const NAMESPACE_NOT_FOUND = 26

export const EVENT_INDEXES: readonly IndexDescription[] = [
  { key: { occurred_at: -1, _id: -1 }, name: 'time' },
  { key: { actor_account_id: 1, occurred_at: -1, _id: -1 }, name: 'actor_time' },
  { key: { product: 1, occurred_at: -1, _id: -1 }, name: 'product_time' },
  { key: { operation: 1, occurred_at: -1, _id: -1 }, name: 'operation_time' },
  { key: { category: 1, severity: 1, occurred_at: -1, _id: -1 }, name: 'category_severity_time' },
  // No site+source index: per-source recency lives in connector_state, and every index slows ingest.
  { key: { 'object.container': 1, occurred_at: -1, _id: -1 }, name: 'container_time' }
]

export type TtlAction = 'created' | 'unchanged' | 'corrected' | 'replaced'

export interface TtlOutcome {
  collection: string
  field: string
  expireAfterSeconds: number
  action: TtlAction
  previous?: number | null
}

async function listIndexes (col: Collection): Promise<Document[]> {
  try {
    return await col.listIndexes().toArray()
  } catch (err) {
    if ((err as { code?: number }).code === NAMESPACE_NOT_FOUND) return []
    throw err
  }
}

function isSingleFieldAsc (ix: Document, field: string): boolean {
  const keys = Object.entries(ix.key ?? {})
  return keys.length === 1 && keys[0]?.[0] === field && keys[0]?.[1] === 1
}

export async function ensureTtlIndex (db: Db, collection: string, field: string, seconds: number, name: string, logger: Logger): Promise<TtlOutcome> {
  const col = db.collection(collection)
  const existing = (await listIndexes(col)).find((ix) => isSingleFieldAsc(ix, field))
  const base = { collection, field, expireAfterSeconds: seconds }
  if (!existing) {
    await col.createIndex({ [field]: 1 }, { name, expireAfterSeconds: seconds })
    return { ...base, action: 'created' }
  }
  if (existing.expireAfterSeconds === seconds) return { ...base, action: 'unchanged' }
  const previous = typeof existing.expireAfterSeconds === 'number' ? existing.expireAfterSeconds : null
  if (previous !== null) {
    await db.command({ collMod: collection, index: { keyPattern: { [field]: 1 }, expireAfterSeconds: seconds } })
    logger.warn({ collection, field, previous, expireAfterSeconds: seconds }, 'TTL index had a different expiry; corrected with collMod')
    return { ...base, action: 'corrected', previous }
  }
  // A plain (non-TTL) index on the field: replace it, since not every server version converts one in place.
  await col.dropIndex(existing.name as string)
  await col.createIndex({ [field]: 1 }, { name, expireAfterSeconds: seconds })
  logger.warn({ collection, field, expireAfterSeconds: seconds }, 'index on the TTL field had no expiry; replaced with a TTL index')
  return { ...base, action: 'replaced', previous: null }
}

export interface EnsureIndexesResult {
  eventsTtl: TtlOutcome
  rollupsTtl: TtlOutcome
  dayCountsTtl: TtlOutcome
}

/**
 * Rollups expire with their day's last event (retention + 1 day). Day counters live 31 days longer: they are
 * PII-free and are what lets the compliance report show the events removed by TTL over the last 30 days.
 */
export async function ensureEventIndexes (db: Db, logger: Logger, retentionSeconds = RETENTION_SECONDS): Promise<EnsureIndexesResult> {
  const eventsTtl = await ensureTtlIndex(db, EVENTS, 'occurred_at', retentionSeconds, EVENTS_TTL_INDEX, logger)
  await db.collection(EVENTS).createIndexes([...EVENT_INDEXES])
  const rollupsTtl = await ensureTtlIndex(db, ROLLUPS, 'day', retentionSeconds + DAY_SECONDS, 'day_ttl', logger)
  await db.collection(ROLLUPS).createIndexes([
    { key: { day: -1, product: 1, operation: 1 }, name: 'day_product_operation' },
    { key: { actor_account_id: 1, day: -1 }, name: 'actor_day' }
  ])
  const dayCountsTtl = await ensureTtlIndex(db, DAY_COUNTS, 'day', retentionSeconds + 32 * DAY_SECONDS, 'day_ttl', logger)
  // Closed rollup-repair markers are only needed briefly (see rollup-repair.ts); open ones have no closed_at.
  await ensureTtlIndex(db, ROLLUP_REPAIRS, 'closed_at', CLOSED_MARKER_TTL_SECONDS, 'closed_ttl', logger)
  return { eventsTtl, rollupsTtl, dayCountsTtl }
}

// Daily rollups maintained on ingest, so dashboards over a year never scan raw events, plus a PII-free per-day
// insert counter that lets the compliance page show how many events TTL expiry has removed.
import type { AnyBulkWriteOperation, Db } from 'mongodb'
import type { UnifiedEvent } from './event.js'
import { utcDay } from './event-time.js'

export const ROLLUPS = 'event_rollups_daily'
export const DAY_COUNTS = 'event_day_counts'

export interface RollupDoc {
  _id: string
  day: Date
  site: string
  product: string
  operation: string
  actor_account_id: string | null
  category: string
  severity: string
  count: number
}

/** Inserted-event counts per UTC day; no actor, no object — only what retention evidence needs. */
export interface DayCountDoc {
  _id: string
  day: Date
  inserted: number
}

/** A rollup's _id: its key (UTC day × site × product × operation × actor) as JSON. */
export function rollupId (dayKey: string, site: string, product: string, operation: string, actor: string | null): string {
  return JSON.stringify([dayKey, site, product, operation, actor])
}

/** `YYYY-MM-DD` of a UTC day: the _id of its day counter and the first part of its rollups' ids. */
export function dayKeyOf (day: Date): string {
  return day.toISOString().slice(0, 10)
}

/** Increments rollups and day counters for events that were actually inserted (one bulkWrite each). */
export async function incrementRollups (db: Db, inserted: UnifiedEvent[]): Promise<void> {
  if (inserted.length === 0) return
  const rollups = new Map<string, { doc: Omit<RollupDoc, '_id' | 'count'>, n: number }>()
  const days = new Map<string, { day: Date, n: number }>()
  for (const e of inserted) {
    const day = utcDay(e.occurred_at)
    const dayKey = dayKeyOf(day)
    const key = rollupId(dayKey, e.site, e.product, e.operation, e.actor_account_id)
    const r = rollups.get(key)
    if (r) r.n++
    else {
      rollups.set(key, {
        doc: { day, site: e.site, product: e.product, operation: e.operation, actor_account_id: e.actor_account_id, category: e.category, severity: e.severity },
        n: 1
      })
    }
    const d = days.get(dayKey)
    if (d) d.n++
    else days.set(dayKey, { day, n: 1 })
  }
  const rollupOps: Array<AnyBulkWriteOperation<RollupDoc>> = [...rollups].map(([_id, r]) => ({
    updateOne: { filter: { _id }, update: { $inc: { count: r.n }, $setOnInsert: r.doc }, upsert: true }
  }))
  const dayOps: Array<AnyBulkWriteOperation<DayCountDoc>> = [...days].map(([_id, d]) => ({
    updateOne: { filter: { _id }, update: { $inc: { inserted: d.n }, $setOnInsert: { day: d.day } }, upsert: true }
  }))
  await Promise.all([
    db.collection<RollupDoc>(ROLLUPS).bulkWrite(rollupOps, { ordered: false }),
    db.collection<DayCountDoc>(DAY_COUNTS).bulkWrite(dayOps, { ordered: false })
  ])
}

// Read side of the events collection: filtered search with keyset paging (newest first), counts, and rollup
// totals. Every query shape here is served by an index from event-indexes.ts (explain tests check it).
import type { Db, Document, Filter, Sort } from 'mongodb'
import type { Category, Product, Severity, UnifiedEvent } from './event.js'
import { EVENTS } from './event.js'
import { ROLLUPS, type RollupDoc } from './rollups.js'

export interface EventFilter {
  from?: Date
  to?: Date
  site?: string
  source?: string
  product?: Product
  operation?: string
  category?: Category
  severity?: Severity
  actor?: string
  container?: string
}

/** Keyset cursor: the last row of the previous page. */
export interface EventCursor {
  occurred_at: Date
  _id: string
}

export const EVENT_SORT: Sort = { occurred_at: -1, _id: -1 }

export function buildEventQuery (f: EventFilter, after?: EventCursor | null): Filter<UnifiedEvent> {
  const q: Record<string, unknown> = {}
  if (f.site) q.site = f.site
  if (f.source) q.source = f.source
  if (f.product) q.product = f.product
  if (f.operation) q.operation = f.operation
  if (f.category) q.category = f.category
  if (f.severity) q.severity = f.severity
  if (f.actor) q.actor_account_id = f.actor
  if (f.container) q['object.container'] = f.container
  const time: Record<string, Date> = {}
  if (f.from) time.$gte = f.from
  if (f.to) time.$lt = f.to
  if (after) time.$lte = after.occurred_at
  if (Object.keys(time).length > 0) q.occurred_at = time
  // Keyset paging: same timestamp with a smaller _id, or any earlier timestamp.
  if (after) q.$or = [{ occurred_at: { $lt: after.occurred_at } }, { occurred_at: after.occurred_at, _id: { $lt: after._id } }]
  return q as Filter<UnifiedEvent>
}

export interface EventPage {
  events: UnifiedEvent[]
  next: EventCursor | null
}

export function createEventsRepository (db: Db) {
  const events = db.collection<UnifiedEvent>(EVENTS)
  const rollups = db.collection<RollupDoc>(ROLLUPS)

  async function search (filter: EventFilter, page: { limit?: number, after?: EventCursor | null } = {}): Promise<EventPage> {
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 500)
    const docs = await events.find(buildEventQuery(filter, page.after)).sort(EVENT_SORT).limit(limit + 1).toArray()
    const more = docs.length > limit
    const rows = more ? docs.slice(0, limit) : docs
    const last = rows[rows.length - 1]
    return { events: rows, next: more && last ? { occurred_at: last.occurred_at, _id: last._id } : null }
  }

  async function explainSearch (filter: EventFilter, after?: EventCursor | null): Promise<Document> {
    return await events.find(buildEventQuery(filter, after)).sort(EVENT_SORT).limit(51).explain('queryPlanner')
  }

  async function count (filter: EventFilter = {}): Promise<number> {
    return await events.countDocuments(buildEventQuery(filter))
  }

  async function findById (id: string): Promise<UnifiedEvent | null> {
    return await events.findOne({ _id: id })
  }

  async function oldest (): Promise<Date | null> {
    const doc = await events.find({}, { projection: { occurred_at: 1 } }).sort({ occurred_at: 1 }).limit(1).next()
    return doc?.occurred_at ?? null
  }

  /** Totals from the daily rollups (never raw events), grouped by operation, for [from, to) at day granularity. */
  async function rollupTotals (f: { from?: Date, to?: Date, product?: Product, actor?: string } = {}): Promise<Array<{ operation: string, count: number }>> {
    const match: Record<string, unknown> = {}
    if (f.from || f.to) match.day = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) }
    if (f.product) match.product = f.product
    if (f.actor) match.actor_account_id = f.actor
    const rows = await rollups.aggregate<{ _id: string, count: number }>([
      { $match: match },
      { $group: { _id: '$operation', count: { $sum: '$count' } } },
      { $sort: { count: -1, _id: 1 } }
    ]).toArray()
    return rows.map((r) => ({ operation: r._id, count: r.count }))
  }

  return { search, explainSearch, count, findById, oldest, rollupTotals }
}

export type EventsRepository = ReturnType<typeof createEventsRepository>

/** Index names used anywhere in an explain() winning plan (classic and SBE shapes). */
export function planIndexNames (explain: Document): string[] {
  const names = new Set<string>()
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(walk); return }
    if (typeof node !== 'object' || node === null) return
    const n = node as Record<string, unknown>
    if (n.stage === 'IXSCAN' && typeof n.indexName === 'string') names.add(n.indexName)
    for (const [k, v] of Object.entries(n)) if (k !== 'rejectedPlans') walk(v)
  }
  const planner = (explain.queryPlanner ?? explain) as Document
  walk(planner.winningPlan ?? planner)
  return [...names]
}

/** True when the winning plan reads the whole collection. */
export function planHasCollScan (explain: Document): boolean {
  return JSON.stringify((explain.queryPlanner ?? explain).winningPlan ?? {}).includes('"COLLSCAN"')
}

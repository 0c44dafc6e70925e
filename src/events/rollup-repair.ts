// Rollups are increments, so an increment lost between an event write and its rollup write (a kill, a failed
// follow-up write) would leave them short for good. Ingest therefore opens a marker naming a page's days before
// the page's events are written and closes it after their rollups are written. A marker left open means those days may have
// drifted: `repairRollups` recounts them from the raw events and replaces their rollups. Closed markers stay an
// hour (TTL on closed_at) so a recount can tell that a write touched its days while it ran.
import { ObjectId, type AnyBulkWriteOperation, type Db } from 'mongodb'
import type { Logger } from 'pino'
import { EVENTS, type UnifiedEvent } from './event.js'
import { utcDay } from './event-time.js'
import { DAY_COUNTS, dayKeyOf, ROLLUPS, rollupId, type DayCountDoc, type RollupDoc } from './rollups.js'

export const ROLLUP_REPAIRS = 'event_rollup_repairs'
const DAY_MS = 86_400_000
/** A marker younger than this may belong to a write still in flight (here or in another instance): left alone. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000
/** Closed markers are kept this long (TTL index on closed_at). */
export const CLOSED_MARKER_TTL_SECONDS = 3600
/** Allowance for clocks of several instances disagreeing when a recount looks for writes that overlapped it. */
const CLOCK_SLACK_MS = 60_000

export interface RepairMarker {
  _id: ObjectId
  days: Date[]
  created_at: Date
  closed_at?: Date
}

export interface RollupMarkers {
  /** Records the days a write is about to touch; the write must not start before this resolves. */
  open: (events: readonly UnifiedEvent[]) => Promise<ObjectId>
  /**
   * The write and its rollups are durable: the days need no repair on its account. Closes are batched: they ride
   * on the next open (one command for both) or go out within `closeDelayMs`.
   */
  close: (id: ObjectId) => void
  /** Writes the closes still queued. */
  flush: () => Promise<void>
}

export function createRollupMarkers (db: Db, now: () => Date = () => new Date(), closeDelayMs = 250): RollupMarkers {
  const markers = db.collection<RepairMarker>(ROLLUP_REPAIRS)
  let queued: ObjectId[] = []
  let timer: NodeJS.Timeout | null = null
  let flushing: Promise<void> = Promise.resolve()

  const closeOp = (ids: ObjectId[]): AnyBulkWriteOperation<RepairMarker> => ({ updateMany: { filter: { _id: { $in: ids } }, update: { $set: { closed_at: now() } } } })
  const take = (): ObjectId[] => {
    const ids = queued
    queued = []
    if (timer !== null) { clearTimeout(timer); timer = null }
    return ids
  }

  async function flush (): Promise<void> {
    const ids = take()
    if (ids.length > 0) {
      flushing = flushing.then(async () => {
        try {
          await markers.bulkWrite([closeOp(ids)])
        } catch {
          queued.push(...ids) // tried again with the next open or flush; if never, the days are only recounted
        }
      })
    }
    await flushing
  }

  return {
    async open (events) {
      const days = new Map<number, Date>()
      for (const e of events) { const d = utcDay(e.occurred_at); days.set(d.getTime(), d) }
      const _id = new ObjectId()
      const closing = take()
      const ops: Array<AnyBulkWriteOperation<RepairMarker>> = [{ insertOne: { document: { _id, days: [...days.values()], created_at: now() } } }]
      if (closing.length > 0) ops.push(closeOp(closing))
      try {
        await markers.bulkWrite(ops, { ordered: true })
      } catch (err) {
        queued.push(...closing)
        // The marker is what matters here; a close that failed behind it is retried later.
        const inserted = (err as { result?: { insertedCount?: number } }).result?.insertedCount === 1
        if (!inserted) throw err
      }
      return _id
    },
    close (id) {
      queued.push(id)
      if (timer === null) {
        timer = setTimeout(() => { timer = null; void flush() }, closeDelayMs)
        timer.unref()
      }
    },
    flush
  }
}

export interface RepairOptions {
  now?: () => Date
  staleAfterMs?: number
  logger?: Logger
}

export interface RepairOutcome {
  /** Days recounted from raw events. */
  repaired: number
  /** Days still waiting (a fresh marker covers them: a write may be in flight). */
  deferred: number
}

/**
 * Recounts the rollups and day counters of every day named by a stale marker, then removes what it covered. Days
 * also named by a fresh marker wait (their write may land after the recount and be counted twice); a marker that
 * appears during the recount keeps its days for the next pass for the same reason.
 */
export async function repairRollups (db: Db, opts: RepairOptions = {}): Promise<RepairOutcome> {
  const now = opts.now ?? (() => new Date())
  const staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
  const markers = db.collection<RepairMarker>(ROLLUP_REPAIRS)
  const started = now()
  const cutoff = new Date(started.getTime() - staleAfterMs)
  const open = await markers.find({ closed_at: { $exists: false } }).toArray()
  const stale = open.filter((m) => m.created_at <= cutoff)
  if (stale.length === 0) return { repaired: 0, deferred: 0 }
  const dayTimes = (ms: RepairMarker[]): number[] => ms.flatMap((m) => m.days.map((d) => d.getTime()))
  const busy = new Set(dayTimes(open.filter((m) => m.created_at > cutoff)))
  const wanted = new Set(dayTimes(stale))
  const todo = [...wanted].filter((d) => !busy.has(d)).sort((a, b) => a - b)
  for (const day of todo) await recountDay(db, new Date(day))
  // A write that began or ended while this pass ran may have been counted here and then incremented too (or the
  // other way round): its days wait for the next pass.
  const since = new Date(started.getTime() - CLOCK_SLACK_MS)
  const staleIds = new Set(stale.map((m) => m._id.toHexString()))
  const overlapping = (await markers.find({ $or: [{ created_at: { $gte: since } }, { closed_at: { $gte: since } }] }).toArray())
    .filter((m) => !staleIds.has(m._id.toHexString()))
  const recheck = new Set(dayTimes(overlapping))
  const done = new Set(todo.filter((d) => !recheck.has(d)))
  for (const m of stale) {
    const left = m.days.filter((d) => !done.has(d.getTime()))
    if (left.length === 0) await markers.deleteOne({ _id: m._id })
    else if (left.length < m.days.length) await markers.updateOne({ _id: m._id }, { $set: { days: left } })
  }
  const outcome = { repaired: done.size, deferred: wanted.size - done.size }
  opts.logger?.info(outcome, 'rollups recounted from raw events for days an interrupted write may have left short')
  return outcome
}

/** Replaces one day's rollups with a raw count; the day's insert counter never goes down (expired events count). */
async function recountDay (db: Db, day: Date): Promise<void> {
  const dayKey = dayKeyOf(day)
  const rows = await db.collection<UnifiedEvent>(EVENTS).aggregate<{
    _id: { site: string, product: string, operation: string, actor: string | null }
    count: number
    category: string
    severity: string
  }>([
    { $match: { occurred_at: { $gte: day, $lt: new Date(day.getTime() + DAY_MS) } } },
    {
      $group: {
        _id: { site: '$site', product: '$product', operation: '$operation', actor: '$actor_account_id' },
        count: { $sum: 1 },
        category: { $first: '$category' },
        severity: { $first: '$severity' }
      }
    }
  ]).toArray()
  const ids: string[] = []
  const ops: Array<AnyBulkWriteOperation<RollupDoc>> = rows.map((r) => {
    const actor = r._id.actor ?? null
    const _id = rollupId(dayKey, r._id.site, r._id.product, r._id.operation, actor)
    ids.push(_id)
    const doc = { day, site: r._id.site, product: r._id.product, operation: r._id.operation, actor_account_id: actor, category: r.category, severity: r.severity, count: r.count }
    return { replaceOne: { filter: { _id }, replacement: doc, upsert: true } }
  })
  ops.push({ deleteMany: { filter: { day, _id: { $nin: ids } } } })
  await db.collection<RollupDoc>(ROLLUPS).bulkWrite(ops, { ordered: true })
  const total = rows.reduce((s, r) => s + r.count, 0)
  await db.collection<DayCountDoc>(DAY_COUNTS).updateOne({ _id: dayKey }, { $max: { inserted: total }, $setOnInsert: { day } }, { upsert: true })
}

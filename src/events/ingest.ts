// The only write path for events: validate and minimise drafts, insert new ones with one unordered bulk upsert
// ($setOnInsert only, so a stored audit event is never altered), then update identities, teams and rollups.
// Group commit: pages that arrive while a write is in flight are merged into the next write, so concurrent sources
// (and a source's concurrent lanes) share one events bulkWrite and one identities/rollups/day-counter pass. Each
// caller's promise still settles only once its own events and follow-up writes are durable (or failed).
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type ObjectId } from 'mongodb'
import type { Logger } from 'pino'
import type { BlindIndex, FieldCipher } from '../crypto/field-cipher.js'
import { createIdentitiesRepository, type IdentitiesRepository, type IdentityObservation } from '../identities/identities-repository.js'
import { createTeamsRepository, type TeamsRepository, type TimedMembershipChange } from '../teams/teams-repository.js'
import { EVENTS, type EventDraft, type IngestResult, type UnifiedEvent } from './event.js'
import { buildEvent, type RejectReason } from './event-builder.js'
import { incrementRollups } from './rollups.js'
import { createRollupMarkers } from './rollup-repair.js'

const DUPLICATE_KEY = 11000

export interface IngestOptions {
  db: Db
  cipher: FieldCipher
  blindIndex: BlindIndex
  logger: Logger
  retentionSeconds: number
  encryptDisplayNames: boolean
  now?: () => Date
  /** Shared repositories (the events plugin passes its own); built here when absent. */
  identities?: IdentitiesRepository
  teams?: TeamsRepository
  /** Writes in flight at once (default 2: the store works on one while the next is encoded). */
  maxConcurrentWrites?: number
  /** Events merged into one write at most (default 5000); a larger single page is still written whole. */
  maxGroupEvents?: number
}

export type Ingest = ((drafts: EventDraft[]) => Promise<IngestResult>) & {
  /** Resolves once the bookkeeping that follows settled writes (closing rollup-repair markers) is done. */
  settled: () => Promise<void>
}

/** One caller's validated page, waiting for a write. */
interface Prepared {
  result: IngestResult
  events: UnifiedEvent[]
  observations: IdentityObservation[]
  memberships: Map<string, TimedMembershipChange>
  /** The page's rollup-repair marker, opened while the page waits for its group (see writeGroup). */
  marker: Promise<ObjectId>
  resolve: (result: IngestResult) => void
  reject: (err: unknown) => void
}

export function createIngest (opts: IngestOptions): Ingest {
  const { db, logger, blindIndex } = opts
  const now = opts.now ?? (() => new Date())
  const identities = opts.identities ?? createIdentitiesRepository({ ...opts, now })
  const teams = opts.teams ?? createTeamsRepository({ db, logger, now })
  const events = db.collection<UnifiedEvent>(EVENTS)
  const pseudonym = (value: string): string => `pseudo:${blindIndex.email(value).slice(0, 22)}`
  const maxWrites = Math.max(1, opts.maxConcurrentWrites ?? 2)
  const maxGroupEvents = Math.max(1, opts.maxGroupEvents ?? 5000)
  const queue: Prepared[] = []
  let writing = 0
  // Wall-clock time, not the ingest clock: markers coordinate writers (and instances), they date no event.
  const markers = createRollupMarkers(db)

  function prepare (drafts: EventDraft[]): Omit<Prepared, 'marker' | 'resolve' | 'reject'> {
    const result: IngestResult = { received: drafts.length, inserted: 0, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 }
    const at = now()
    const cutoff = at.getTime() - opts.retentionSeconds * 1000
    const batch: UnifiedEvent[] = []
    const memberships = new Map<string, TimedMembershipChange>()
    const observations: IdentityObservation[] = []
    const seen = new Set<string>()
    const reasons: Partial<Record<RejectReason | 'too_old', number>> = {}

    for (const draft of drafts) {
      const actor = draft && typeof draft === 'object' ? identities.normaliseHint(draft.actor) : null
      const built = buildEvent(draft, at, actor?.account_id ?? null, pseudonym)
      if (!built.ok) {
        result.rejected++
        reasons[built.reason] = (reasons[built.reason] ?? 0) + 1
        continue
      }
      const event = built.event
      if (event.occurred_at.getTime() < cutoff) {
        result.skippedTooOld++
        continue
      }
      if (seen.has(event._id)) {
        // The same record twice in one page: store once (two upserts of one _id in one unordered batch can race).
        result.alreadyPresent++
        continue
      }
      seen.add(event._id)
      batch.push(event)
      if (actor && draft.actor) {
        observations.push({ hint: draft.actor, site: event.site, product: event.product, at: event.occurred_at, active: true, normalised: actor })
      }
      const m = draft.membership
      if (m && typeof m.group === 'string' && typeof m.account_id === 'string') {
        memberships.set(event._id, { group: m.group, account_id: m.account_id, action: m.action, site: event.site, at: event.occurred_at })
      }
    }
    if (result.rejected > 0) {
      // Reasons and counts only: a rejected record may carry personal data.
      logger.warn({ rejected: result.rejected, reasons, source: drafts[0]?.source }, 'ingest rejected invalid records')
    }
    return { result, events: batch, observations, memberships }
  }

  /** Starts writes while there is queued work and a free slot; each write takes whole pages up to the group cap. */
  function pump (): void {
    while (writing < maxWrites && queue.length > 0) {
      const group: Prepared[] = []
      let size = 0
      while (queue.length > 0 && (group.length === 0 || size + (queue[0] as Prepared).events.length <= maxGroupEvents)) {
        const next = queue.shift() as Prepared
        size += next.events.length
        group.push(next)
      }
      writing++
      writeGroup(group)
        .then((opened) => {
          for (const p of group) p.resolve(p.result)
          // Off the callers' path (closes ride on later opens): a close lost to a kill only costs a needless recount.
          for (const id of opened) markers.close(id)
        })
        .catch((err: unknown) => { for (const p of group) p.reject(err) })
        .finally(() => { writing--; pump() })
    }
  }

  /** Writes one group; returns its pages' rollup-repair markers, to be closed once the callers have their results. */
  async function writeGroup (group: Prepared[]): Promise<ObjectId[]> {
    // Each page opened a marker naming its days when it was queued, and a group is written only once all of its
    // pages' markers are durable; they are closed after the rollups. A marker left open (a kill, a failed
    // follow-up write) tells repairRollups which days to recount from raw events. Opening at queue time keeps
    // the marker off the write's critical path: it is written while the page waits for a free slot.
    const opened = await Promise.all(group.map(async (p) => await p.marker))
    // One _id in two pages of the group: the first page owns it, the others count it as already present.
    const owner = new Map<string, Prepared>()
    const batch: UnifiedEvent[] = []
    for (const p of group) {
      for (const e of p.events) {
        if (owner.has(e._id)) { p.result.alreadyPresent++; continue }
        owner.set(e._id, p)
        batch.push(e)
      }
    }
    const insertedIds = await insertNew(batch)
    const inserted: UnifiedEvent[] = []
    const changes: TimedMembershipChange[] = []
    for (const e of batch) {
      const p = owner.get(e._id) as Prepared
      if (!insertedIds.has(e._id)) { p.result.alreadyPresent++; continue }
      p.result.inserted++
      inserted.push(e)
      const m = p.memberships.get(e._id)
      if (m !== undefined) changes.push(m)
    }
    // Identities are observed for every valid event (idempotent upserts, so a retried page still heals them);
    // rollups and membership changes only for events inserted now, so a re-read never double-counts.
    const observations = group.length === 1 ? (group[0] as Prepared).observations : group.flatMap((p) => p.observations)
    await Promise.all([
      observations.length > 0 ? identities.observe(observations) : Promise.resolve(0),
      incrementRollups(db, inserted),
      changes.length > 0 ? teams.applyMembershipChanges(changes) : Promise.resolve(0)
    ])
    logger.debug({ pages: group.length, events: batch.length, inserted: inserted.length }, 'ingest batch written')
    return opened
  }

  async function insertNew (batch: UnifiedEvent[]): Promise<Set<string>> {
    const ops: Array<AnyBulkWriteOperation<UnifiedEvent>> = batch.map(({ _id, ...fields }) => ({
      // $setOnInsert only: re-reading a page must never alter a stored audit event. (_id comes from the filter.)
      updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true }
    }))
    let upserted: Record<number, unknown>
    try {
      upserted = (await events.bulkWrite(ops, { ordered: false })).upsertedIds
    } catch (err) {
      // A concurrent writer inserted the same _id first: that event is already present, which is the goal.
      if (!(err instanceof MongoBulkWriteError) || err.writeErrors === undefined) throw err
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : Object.values(err.writeErrors)
      if (writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw err
      upserted = err.result.upsertedIds
    }
    const ids = new Set<string>()
    for (const [index, id] of Object.entries(upserted)) {
      ids.add(typeof id === 'string' ? id : (batch[Number(index)] as UnifiedEvent)._id)
    }
    return ids
  }

  async function ingest (drafts: EventDraft[]): Promise<IngestResult> {
    const prepared = prepare(drafts)
    if (prepared.events.length === 0) return prepared.result
    const marker = markers.open(prepared.events)
    marker.catch(() => {}) // awaited (and reported) by the group write
    return await new Promise<IngestResult>((resolve, reject) => {
      queue.push({ ...prepared, marker, resolve, reject })
      pump()
    })
  }
  async function settled (): Promise<void> {
    await markers.flush()
  }
  return Object.assign(ingest, { settled })
}

// Leases (collection `leases`): one document per site × source so that several app instances against one MongoDB
// never sync the same source at once. A holder that dies simply stops renewing; its lease expires and is taken over.
import type { Collection, Db } from 'mongodb'

export const LEASES_COLLECTION = 'leases'

export interface LeaseDoc {
  _id: string
  holder: string
  acquired_at: Date
  renewed_at: Date
  expires_at: Date
}

export interface LeaseStore {
  /** True when this holder now owns the lease (fresh, renewed, or taken over from an expired holder). */
  acquire: (key: string, holder: string) => Promise<boolean>
  /** Extends the lease; false when another holder has taken it (this holder must stop). */
  renew: (key: string, holder: string) => Promise<boolean>
  release: (key: string, holder: string) => Promise<void>
  /** Current unexpired leases by key. */
  active: () => Promise<Map<string, LeaseDoc>>
  readonly ttlMs: number
}

export interface LeaseStoreOptions {
  ttlMs: number
  now?: () => Date
}

export function createLeaseStore (db: Db, options: LeaseStoreOptions): LeaseStore {
  const leases: Collection<LeaseDoc> = db.collection<LeaseDoc>(LEASES_COLLECTION)
  const now = options.now ?? (() => new Date())
  const ttlMs = options.ttlMs

  async function acquire (key: string, holder: string): Promise<boolean> {
    const t = now()
    try {
      // Matches only an expired lease or our own; otherwise the upsert collides on _id and we lose the race.
      const doc = await leases.findOneAndUpdate(
        { _id: key, $or: [{ expires_at: { $lte: t } }, { holder }] },
        {
          $set: { holder, acquired_at: t, renewed_at: t, expires_at: new Date(t.getTime() + ttlMs) }
        },
        { upsert: true, returnDocument: 'after' }
      )
      return doc !== null && doc.holder === holder
    } catch (err) {
      if (isDuplicateKey(err)) return false
      throw err
    }
  }

  async function renew (key: string, holder: string): Promise<boolean> {
    const t = now()
    const res = await leases.updateOne(
      { _id: key, holder },
      { $set: { renewed_at: t, expires_at: new Date(t.getTime() + ttlMs) } }
    )
    return res.matchedCount === 1
  }

  async function release (key: string, holder: string): Promise<void> {
    await leases.deleteOne({ _id: key, holder })
  }

  async function active (): Promise<Map<string, LeaseDoc>> {
    const docs = await leases.find({ expires_at: { $gt: now() } }).toArray()
    return new Map(docs.map((d) => [d._id, d]))
  }

  return { acquire, renew, release, active, ttlMs }
}

export function isDuplicateKey (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000
}

// admin_audit: the append-only operator action log. Insert and read only; the TTL index is the one removal path.
import type { Collection, Db, Filter, ObjectId } from 'mongodb'
import { RETENTION_SECONDS } from '../config/config.js'
import { InvalidOperatorLogEntryError } from './errors.js'
import { ACTION_PATTERN, type Outcome } from './operator-action.js'

export const OPERATOR_LOG_COLLECTION = 'admin_audit'

/** Details are small, flat, non-secret facts (route, path, counts); never tokens, passwords or emails. */
export type OperatorLogDetails = Record<string, string | number | boolean | null>

export interface OperatorLogInput {
  action: string
  /** The operator's username; null when none is known (e.g. a failed login for a name that does not exist). */
  username: string | null
  ip: string | null
  outcome: Outcome
  details?: OperatorLogDetails
}

export interface OperatorLogDocument {
  _id?: ObjectId
  at: Date
  action: string
  username: string | null
  /** Lowercased username for filtering. */
  username_key: string | null
  ip: string | null
  outcome: Outcome
  details: OperatorLogDetails
}

export interface OperatorLogEntry {
  at: Date
  action: string
  username: string | null
  ip: string | null
  outcome: Outcome
  details: OperatorLogDetails
}

export interface OperatorLogQuery {
  action?: string
  username?: string
  /** 1-based. */
  page?: number
  pageSize?: number
}

export interface OperatorLogPage {
  entries: OperatorLogEntry[]
  page: number
  pageSize: number
  hasMore: boolean
}

export interface OperatorLogRepository {
  ensureIndexes: () => Promise<void>
  record: (entry: OperatorLogInput, at?: Date) => Promise<void>
  list: (query?: OperatorLogQuery) => Promise<OperatorLogPage>
}

const MAX_DETAIL_KEYS = 12
const MAX_DETAIL_STRING = 300
export const DEFAULT_PAGE_SIZE = 50

export function createOperatorLogRepository (db: Db): OperatorLogRepository {
  const log: Collection<OperatorLogDocument> = db.collection<OperatorLogDocument>(OPERATOR_LOG_COLLECTION)

  return {
    async ensureIndexes () {
      // Same one-year retention as the events themselves.
      await log.createIndex({ at: 1 }, { expireAfterSeconds: RETENTION_SECONDS, name: 'at_ttl' })
      await log.createIndex({ username_key: 1, at: -1 }, { name: 'username_at' })
      await log.createIndex({ action: 1, at: -1 }, { name: 'action_at' })
    },

    async record (entry, at = new Date()) {
      if (!ACTION_PATTERN.test(entry.action)) throw new InvalidOperatorLogEntryError(`action "${entry.action.slice(0, 40)}"`)
      await log.insertOne({
        at,
        action: entry.action,
        username: entry.username,
        username_key: entry.username === null ? null : entry.username.toLowerCase(),
        ip: entry.ip,
        outcome: entry.outcome,
        details: cleanDetails(entry.details ?? {})
      })
    },

    async list (query = {}) {
      const pageSize = clamp(query.pageSize ?? DEFAULT_PAGE_SIZE, 1, 200)
      const page = clamp(query.page ?? 1, 1, 10_000)
      const filter: Filter<OperatorLogDocument> = {}
      if (query.action !== undefined && query.action !== '') filter.action = query.action
      if (query.username !== undefined && query.username !== '') filter.username_key = query.username.toLowerCase()
      // One extra row tells whether a next page exists without counting the collection.
      const docs = await log.find(filter)
        .sort({ at: -1, _id: -1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize + 1)
        .toArray()
      return {
        entries: docs.slice(0, pageSize).map((d) => ({
          at: d.at, action: d.action, username: d.username, ip: d.ip, outcome: d.outcome, details: d.details ?? {}
        })),
        page,
        pageSize,
        hasMore: docs.length > pageSize
      }
    }
  }
}

function cleanDetails (details: OperatorLogDetails): OperatorLogDetails {
  const out: OperatorLogDetails = {}
  for (const [key, value] of Object.entries(details).slice(0, MAX_DETAIL_KEYS)) {
    out[key.slice(0, 40)] = typeof value === 'string' ? value.slice(0, MAX_DETAIL_STRING) : value
  }
  return out
}

function clamp (n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min
}

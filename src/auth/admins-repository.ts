// The admins collection: operators who may log in. Hashes only (never plaintext); case-insensitive unique usernames.
import { type Collection, type Db, MongoServerError, ObjectId } from 'mongodb'
import { AdminExistsError, AdminNotFoundError } from './errors.js'
import { usernameKey } from './usernames.js'

export const ADMINS_COLLECTION = 'admins'

export interface AdminDocument {
  _id: ObjectId
  /** As typed at creation, for display. */
  username: string
  /** Lowercased; carries the unique index. */
  username_key: string
  password_hash: string
  created_at: Date
  last_login_at: Date | null
  disabled: boolean
  /** Part of every token; bumping it revokes all sessions of this admin. */
  token_version: number
}

/** What may leave the repository for listings: no hash. */
export interface AdminSummary {
  id: string
  username: string
  createdAt: Date
  lastLoginAt: Date | null
  disabled: boolean
}

export interface AdminsRepository {
  ensureIndexes: () => Promise<void>
  create: (username: string, passwordHash: string, now?: Date) => Promise<AdminDocument>
  findByUsername: (username: string) => Promise<AdminDocument | null>
  findById: (id: string) => Promise<AdminDocument | null>
  /** Also bumps the token version: a reset password ends every existing session. */
  setPasswordHash: (username: string, passwordHash: string) => Promise<AdminDocument>
  /** Disabling also bumps the token version; enabling does not bring old sessions back. */
  setDisabled: (username: string, disabled: boolean) => Promise<AdminDocument>
  recordLogin: (id: ObjectId, at?: Date) => Promise<void>
  /** Returns the new version, or null when the admin no longer exists. */
  bumpTokenVersion: (id: ObjectId) => Promise<number | null>
  list: () => Promise<AdminSummary[]>
}

export function createAdminsRepository (db: Db): AdminsRepository {
  const admins: Collection<AdminDocument> = db.collection<AdminDocument>(ADMINS_COLLECTION)

  async function update (username: string, change: Record<string, unknown>): Promise<AdminDocument> {
    const doc = await admins.findOneAndUpdate(
      { username_key: usernameKey(username) },
      change,
      { returnDocument: 'after' }
    )
    if (doc === null) throw new AdminNotFoundError(username)
    return doc
  }

  return {
    async ensureIndexes () {
      await admins.createIndex({ username_key: 1 }, { unique: true, name: 'username_key_unique' })
    },

    async create (username, passwordHash, now = new Date()) {
      const doc: AdminDocument = {
        _id: new ObjectId(),
        username: username.trim(),
        username_key: usernameKey(username),
        password_hash: passwordHash,
        created_at: now,
        last_login_at: null,
        disabled: false,
        token_version: 0
      }
      try {
        await admins.insertOne(doc)
      } catch (err) {
        if (err instanceof MongoServerError && err.code === 11000) throw new AdminExistsError(username)
        throw err
      }
      return doc
    },

    async findByUsername (username) {
      return admins.findOne({ username_key: usernameKey(username) })
    },

    async findById (id) {
      if (!ObjectId.isValid(id) || id.length !== 24) return null
      return admins.findOne({ _id: new ObjectId(id) })
    },

    async setPasswordHash (username, passwordHash) {
      return update(username, { $set: { password_hash: passwordHash }, $inc: { token_version: 1 } })
    },

    async setDisabled (username, disabled) {
      return update(username, disabled
        ? { $set: { disabled: true }, $inc: { token_version: 1 } }
        : { $set: { disabled: false } })
    },

    async recordLogin (id, at = new Date()) {
      await admins.updateOne({ _id: id }, { $set: { last_login_at: at } })
    },

    async bumpTokenVersion (id) {
      const doc = await admins.findOneAndUpdate({ _id: id }, { $inc: { token_version: 1 } }, { returnDocument: 'after' })
      return doc === null ? null : doc.token_version
    },

    async list () {
      const docs = await admins.find({}, { projection: { password_hash: 0 } }).sort({ username_key: 1 }).toArray()
      return docs.map((d) => ({
        id: d._id.toHexString(),
        username: d.username,
        createdAt: d.created_at,
        lastLoginAt: d.last_login_at ?? null,
        disabled: d.disabled === true
      }))
    }
  }
}

// Opens the database the server uses, for the admin CLI: the same ATLASLENS_* variables, but only the ones that
// locate the data (the CLI needs no encryption key or JWT secret to hash a password, so it does not demand them).
import { resolve } from 'node:path'
import { type Db, MongoClient } from 'mongodb'
import { type Env, nonEmpty, readSecret } from '../config/secret-source.js'
import { readRunningStore, startEmbeddedStore } from '../db/embedded/index.js'

export interface AdminStore {
  db: Db
  /** Human-readable, secret-free description of what the CLI is talking to. */
  description: string
  close: () => Promise<void>
}

export class StoreLocationError extends Error {}

const DB_NAME_PATTERN = /^[A-Za-z0-9_-]{1,63}$/

export async function openAdminStore (env: Env): Promise<AdminStore> {
  const uriSecret = readSecret(env, 'ATLASLENS_MONGODB_URI')
  if (uriSecret.problem !== null) throw new StoreLocationError(uriSecret.problem)
  const dbName = nonEmpty(env.ATLASLENS_DB_NAME) ?? 'atlaslens'
  if (!DB_NAME_PATTERN.test(dbName)) throw new StoreLocationError('ATLASLENS_DB_NAME must be 1-63 letters, digits, "_" or "-"')

  if (uriSecret.value !== null) {
    if (!/^mongodb(\+srv)?:\/\//.test(uriSecret.value)) {
      throw new StoreLocationError('ATLASLENS_MONGODB_URI must start with mongodb:// or mongodb+srv://')
    }
    return connect(uriSecret.value, dbName, 'MongoDB from ATLASLENS_MONGODB_URI', async () => {})
  }

  const dataDir = resolve(nonEmpty(env.ATLASLENS_DATA_DIR) ?? './data')
  // A running server owns the embedded store's files: talk to it over the wire instead of opening them twice.
  const running = await readRunningStore(dataDir)
  if (running !== null) {
    return connect(`mongodb://127.0.0.1:${running.port}/?directConnection=true`, dbName,
      `the embedded store of the running server (pid ${running.pid}) in ${dataDir}`, async () => {})
  }
  // No server: run the store ourselves for the length of the command. Its lock file refuses a second owner.
  const store = await startEmbeddedStore({ dataDir, port: 0 })
  try {
    return await connect(store.uri, dbName, `the embedded store in ${dataDir}`, async () => { await store.close() })
  } catch (err) {
    await store.close()
    throw err
  }
}

async function connect (uri: string, dbName: string, description: string, after: () => Promise<void>): Promise<AdminStore> {
  const client = new MongoClient(uri, { appName: 'atlaslens-seed-admin', serverSelectionTimeoutMS: 5000 })
  await client.connect()
  return {
    db: client.db(dbName),
    description,
    async close () {
      await client.close()
      await after()
    }
  }
}

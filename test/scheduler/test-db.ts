// A real Db for scheduler unit tests (embedded store, or ATLASLENS_TEST_MONGODB_URI), unique database per call.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Db, MongoClient } from 'mongodb'
import { startEmbeddedStore } from '../../src/db/embedded/index.js'

interface TapLike { teardown: (fn: () => unknown) => void }

export async function openTestDb (t: TapLike): Promise<{ db: Db, uri: string, dbName: string }> {
  let uri = process.env.ATLASLENS_TEST_MONGODB_URI ?? ''
  if (uri === '') {
    const store = await startEmbeddedStore({ dataDir: mkdtempSync(join(tmpdir(), 'atlaslens-sched-')), port: 0 })
    t.teardown(async () => { await store.close() })
    uri = store.uri
  }
  const dbName = `sched_${randomBytes(6).toString('hex')}`
  const client = new MongoClient(uri)
  await client.connect()
  // Registered after the store's teardown, so it runs first (tap runs teardowns in reverse order).
  t.teardown(async () => {
    await client.db(dbName).dropDatabase().catch(() => {})
    await client.close()
  })
  return { db: client.db(dbName), uri, dbName }
}

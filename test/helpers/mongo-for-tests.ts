// Gives a test a MongoDB: the real server named by ATLASLENS_TEST_MONGODB_URI, or a fresh embedded store.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { MongoClient, type Db } from 'mongodb'
import type { Test } from 'tap'
import { startEmbeddedStore, type EmbeddedStore } from '../../src/db/embedded/index.js'

export interface TestMongo { uri: string; client: MongoClient; db: Db; dbName: string; embedded: EmbeddedStore | null; dataDir: string | null }

export function usingRealMongo (): boolean {
  return (process.env.ATLASLENS_TEST_MONGODB_URI ?? '') !== ''
}

/** Unique db per call; t.teardown drops it (real server) or closes the store and removes its directory. */
export async function startTestMongo (t: Test, opts: { ttlIntervalMs?: number } = {}): Promise<TestMongo> {
  const dbName = `atl_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const real = process.env.ATLASLENS_TEST_MONGODB_URI
  if (real !== undefined && real !== '') {
    const client = await MongoClient.connect(real)
    t.teardown(async () => {
      await client.db(dbName).dropDatabase().catch(() => {})
      await client.close()
    })
    return { uri: real, client, db: client.db(dbName), dbName, embedded: null, dataDir: null }
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'atlaslens-store-'))
  const store = await startEmbeddedStore({ dataDir, port: 0, ttlIntervalMs: opts.ttlIntervalMs ?? 60_000 })
  const client = await MongoClient.connect(store.uri)
  t.teardown(async () => {
    await client.close()
    await store.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  return { uri: store.uri, client, db: client.db(dbName), dbName, embedded: store, dataDir }
}

// One MongoClient per app: real MongoDB when ATLASLENS_MONGODB_URI is set, otherwise the embedded store.
import fp from 'fastify-plugin'
import { type Db, MongoClient } from 'mongodb'
import type { FastifyInstance } from 'fastify'
import { startEmbeddedStore, type EmbeddedStore } from './embedded/index.js'

export interface MongoHandle {
  client: MongoClient
  db: Db
  /** True when the app runs its own embedded store. */
  embedded: boolean
}

declare module 'fastify' {
  interface FastifyInstance { mongo: MongoHandle }
}

async function mongoPlugin (app: FastifyInstance): Promise<void> {
  const { config } = app
  let store: EmbeddedStore | null = null
  if (config.mongodbUri === null) {
    store = await startEmbeddedStore({
      dataDir: config.dataDir,
      port: 0,
      ttlIntervalMs: config.storeTtlIntervalMs,
      logger: app.log.child({ component: 'embedded-store' }) as never
    })
  }
  const uri = config.mongodbUri ?? (store as EmbeddedStore).uri
  const client = new MongoClient(uri, { appName: 'atlaslens', serverSelectionTimeoutMS: 10_000 })
  try {
    await client.connect()
  } catch (err) {
    if (store !== null) await store.close()
    throw err
  }
  app.decorate('mongo', { client, db: client.db(config.dbName), embedded: store !== null })
  // onClose hooks run in reverse registration order: plugins registered later (which use the db) close first.
  app.addHook('onClose', async () => {
    await client.close()
    if (store !== null) await store.close()
  })
}

export default fp(mongoPlugin, { name: 'mongo', dependencies: ['config'] })

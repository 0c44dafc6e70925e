// The real app with the scheduler plugin (fake or real connectors), on its own store and database.
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config/config.js'
import type { SchedulerPluginOptions } from '../../src/scheduler/scheduler-plugin.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { testConfig } from '../helpers/test-config.js'

interface TapLike { teardown: (fn: () => unknown) => void }

export async function buildSyncApp (
  t: TapLike, overrides: Partial<Config> = {}, scheduler: SchedulerPluginOptions = {}, mongo?: { uri: string, dbName: string }
): Promise<FastifyInstance> {
  const store = mongo ?? await startTestMongo(t as never)
  const config = testConfig({ mongodbUri: store.uri, dbName: store.dbName, ...overrides })
  const app = await buildApp(config, { scheduler })
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

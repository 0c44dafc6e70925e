// Builds the real app for one test file: real store (embedded, or ATLASLENS_TEST_MONGODB_URI), unique database.
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config/config.js'
import { startTestMongo } from './mongo-for-tests.js'
import { testConfig } from './test-config.js'

export { testConfig } from './test-config.js'

interface TapLike { teardown: (fn: () => unknown) => void }

export async function buildTestApp (
  t: TapLike, overrides: Partial<Config> = {}, options: { loggerInstance?: Logger } = {}
): Promise<FastifyInstance> {
  const mongo = await startTestMongo(t as never)
  const config = testConfig({ mongodbUri: mongo.uri, dbName: mongo.dbName, ...overrides })
  const app = await buildApp(config, options)
  // Registered after startTestMongo's teardown, so it runs first (tap runs teardowns in reverse order).
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

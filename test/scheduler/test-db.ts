// A real Db for scheduler unit tests (embedded store, or ATLASLENS_TEST_MONGODB_URI), unique database per call.
import type { Db } from 'mongodb'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

interface TapLike { teardown: (fn: () => unknown) => void }

export async function openTestDb (t: TapLike): Promise<{ db: Db, uri: string, dbName: string }> {
  const mongo = await startTestMongo(t as never)
  return { db: mongo.db, uri: mongo.uri, dbName: mongo.dbName }
}

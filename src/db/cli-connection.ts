// How a command-line tool reaches the same store the server uses: the configured MongoDB, the embedded store a
// running server owns (found through its store.json), or an embedded store of its own for the command's duration.
import { MongoClient, type Db } from 'mongodb'
import { readRunningStore, startEmbeddedStore, type EmbeddedStore } from './embedded/index.js'

export interface CliConnection {
  db: Db
  client: MongoClient
  /** Where the data lives, for messages: never the URI (it may hold a password). */
  description: string
  close: () => Promise<void>
}

export interface CliStoreSettings {
  mongodbUri: string | null
  dbName: string
  dataDir: string
}

export async function connectForCli (settings: CliStoreSettings): Promise<CliConnection> {
  let store: EmbeddedStore | null = null
  let uri: string
  let description: string
  if (settings.mongodbUri !== null) {
    uri = settings.mongodbUri
    description = 'the MongoDB server in ATLASLENS_MONGODB_URI'
  } else {
    const running = await readRunningStore(settings.dataDir)
    if (running !== null) {
      // Never open the files a live server owns: talk to its store over the wire instead.
      uri = `mongodb://127.0.0.1:${running.port}`
      description = `the embedded store of the running server (pid ${running.pid}) in ${settings.dataDir}`
    } else {
      store = await startEmbeddedStore({ dataDir: settings.dataDir, port: 0 })
      uri = store.uri
      description = `the embedded store in ${settings.dataDir}`
    }
  }
  const client = new MongoClient(uri, { appName: 'atlaslens-cli', serverSelectionTimeoutMS: 10_000 })
  try {
    await client.connect()
  } catch (err) {
    if (store !== null) await store.close()
    throw err
  }
  return {
    db: client.db(settings.dbName),
    client,
    description,
    close: async () => {
      await client.close()
      if (store !== null) await store.close()
    }
  }
}

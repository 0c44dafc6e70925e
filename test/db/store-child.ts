// Not a test: a child process that runs an embedded store so a test can kill -9 it.
import { startEmbeddedStore } from '../../src/db/embedded/index.js'

const dataDir = process.argv[2] as string
const store = await startEmbeddedStore({ dataDir, port: 0 })
process.stdout.write(JSON.stringify({ port: store.port }) + '\n')
process.on('SIGTERM', () => { void store.close().then(() => process.exit(0)) })
setInterval(() => {}, 1 << 30)

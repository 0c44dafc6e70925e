// `atlaslens-store --data-dir DIR --port N [--ttl-interval-ms MS]`: the embedded store as its own process.
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { startEmbeddedStore } from './index.js'

export async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '27017' },
      'ttl-interval-ms': { type: 'string' }
    }
  })
  const logger = pino({ name: 'atlaslens-store' })
  const dataDir = values['data-dir'] ?? process.env.ATLASLENS_DATA_DIR
  if (dataDir === undefined || dataDir === '') {
    logger.error('usage: atlaslens-store --data-dir DIR --port N [--ttl-interval-ms MS]')
    process.exitCode = 2
    return
  }
  // The standalone process has nothing else to do on its main thread, so no worker.
  const opts: Parameters<typeof startEmbeddedStore>[0] = { dataDir, port: Number(values.port), logger, inline: true }
  if (values['ttl-interval-ms'] !== undefined) opts.ttlIntervalMs = Number(values['ttl-interval-ms'])
  const store = await startEmbeddedStore(opts)
  logger.info({ uri: store.uri, dataDir },
    'embedded single-node MongoDB-compatible store, fit for evaluation and small installs; production should set ATLASLENS_MONGODB_URI to a real MongoDB')
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'embedded store stopping')
    store.close().then(() => { process.exit(0) }, (err: unknown) => { logger.error({ err }, 'embedded store close failed'); process.exit(1) })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})

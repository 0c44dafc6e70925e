// The process: load config once, build the app, listen, and close gracefully on SIGTERM/SIGINT.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { loadConfig, type LoadConfigOptions } from './config/load-config.js'
import { loggerOptions } from './logging/logger-options.js'
import { buildApp } from './app.js'
import type { FastifyInstance } from 'fastify'

export interface StartServerOptions extends LoadConfigOptions {
  /** Runs before the app boots, so it may add hooks (the try-out provisions its demo operator in onReady). */
  prepare?: (app: FastifyInstance) => void
}

export async function startServer (env: NodeJS.ProcessEnv, options: StartServerOptions = {}): Promise<FastifyInstance> {
  let config
  try {
    config = loadConfig(env, options)
  } catch (err) {
    // A configuration problem is reported once, plainly, and never echoes a secret's value.
    process.stderr.write(`atlaslens: ${(err as Error).message}\n`)
    process.exit(1)
  }
  const app = await buildApp(config)
  closeWithGrace({ delay: 15_000, logger: app.log as never }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
    else app.log.info({ signal }, 'closing gracefully')
    // onClose hooks stop timers, let the in-flight write batch finish, then close the database.
    await app.close()
  })
  options.prepare?.(app)
  await app.listen({ host: config.host, port: config.port })
  if (config.throwawaySecrets) {
    app.log.warn('TRY-OUT MODE: throwaway secrets were generated under the data directory; never use this for real data')
  }
  return app
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
if (isMain) {
  startServer(process.env).catch((err: unknown) => {
    pino(loggerOptions('error')).fatal({ err }, 'atlaslens failed to start')
    process.exit(1)
  })
}

// `atlaslens [serve]` runs the server; `atlaslens rotate-key` re-encrypts stored fields under the first key.
import { pino } from 'pino'
import { loadConfig } from '../config/load-config.js'
import { loggerOptions } from '../logging/logger-options.js'
import { openAdminStore } from './admin-store.js'
import { startServer } from '../server.js'
import { runRotateKey } from './rotate-key.js'

const HELP = `Usage: atlaslens [command]

Commands:
  serve        Run the AtlasLens server (default). Configured by ATLASLENS_* variables (see README).
  rotate-key   Re-encrypt every stored encrypted field under the FIRST key of ATLASLENS_ENCRYPTION_KEY
               (list the new key first and keep the old ones after it until this reports 0 failed).
               Safe to interrupt and re-run: already rotated values are skipped.
  help         Show this text.
`

export async function main (argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP)
    return
  }
  if (command === 'serve') {
    await startServer(process.env)
    return
  }
  if (command === 'rotate-key') {
    if (rest.length > 0) usage(`rotate-key takes no arguments (got ${rest.length})`)
    process.exitCode = await rotateKey()
    return
  }
  usage(`unknown command "${command}"`)
}

async function rotateKey (): Promise<number> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    process.stderr.write(`atlaslens: ${(err as Error).message}\n`)
    return 1
  }
  const logger = pino(loggerOptions(config.logLevel === 'info' ? 'warn' : config.logLevel))
  const conn = await openAdminStore(process.env)
  try {
    process.stdout.write(`Rotating encrypted fields in ${conn.description}\n`)
    const result = await runRotateKey({
      db: conn.db,
      keys: [...config.encryptionKeys],
      encryptDisplayNames: config.encryptDisplayNames,
      logger,
      out: (line) => process.stdout.write(`${line}\n`)
    })
    process.stdout.write(`scanned ${result.scanned}, rotated ${result.rotated}, already current ${result.alreadyCurrent}, failed ${result.failed}\n`)
    return result.failed > 0 ? 1 : 0
  } finally {
    await conn.close()
  }
}

function usage (message: string): never {
  process.stderr.write(`atlaslens: ${message}\n\n${HELP}`)
  process.exit(2)
}

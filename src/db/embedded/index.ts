// Public entry of the embedded MongoDB-compatible store: start it on a data directory, get a mongodb:// URI back.
// By default the store runs in a worker thread owned by the calling process (its CPU work stays off the caller's
// event loop); `inline: true` runs it on the caller's thread.
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { readRunningStore, runStore, storeSettings, type StoreSettings } from './store-inline.js'
import type { SerializedError, StoreWorkerData, StoreWorkerMessage } from './store-worker.js'

export { readRunningStore }

export interface EmbeddedStoreOptions {
  dataDir: string
  /** 0 = choose a free port. */
  port?: number
  /** How often the TTL monitor runs (mongod: 60 s). */
  ttlIntervalMs?: number
  logger?: Logger
  /** Run on the caller's thread instead of a worker thread (the standalone CLI has nothing else to do). */
  inline?: boolean
}

export interface EmbeddedStore {
  /** mongodb://127.0.0.1:PORT */
  uri: string
  port: number
  /** Flushes the journal and releases the lock. */
  close(): Promise<void>
}

// Compiled code starts dist/…/store-worker.js; tests run the sources through tap's TypeScript loader, which
// workers inherit with process.execArgv, so the .ts entry is started there.
const workerEntry = new URL(import.meta.url.endsWith('.ts') ? './store-worker.ts' : './store-worker.js', import.meta.url)

const ENTRY_FLAGS = new Set(['-e', '--eval', '-p', '--print', '--input-type'])
const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r', '--conditions', '-C'])

/** Workers inherit the caller's node options, but a caller started with `-e SRC`/`--input-type` would turn the
 * worker's module into an eval'd script: then keep only the loader options (an explicit list must also avoid
 * per-process flags such as --expose-gc, which Worker rejects). */
function workerExecArgv (): string[] | undefined {
  const argv = process.execArgv
  if (!argv.some((a) => ENTRY_FLAGS.has(a.split('=')[0] as string))) return undefined
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const flag = a.split('=')[0] as string
    if (!LOADER_FLAGS.has(flag) && flag !== '--enable-source-maps' && flag !== '--no-warnings') continue
    out.push(a)
    if (LOADER_FLAGS.has(a) && i + 1 < argv.length) out.push(argv[++i] as string)
  }
  return out
}

function revive (e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: unknown; statusCode?: unknown }
  err.name = e.name
  if (e.stack !== undefined) err.stack = e.stack
  if (e.code !== undefined) err.code = e.code
  if (e.statusCode !== undefined) err.statusCode = e.statusCode
  return err
}

function storeHandle (port: number, close: () => Promise<void>): EmbeddedStore {
  return { uri: `mongodb://127.0.0.1:${port}`, port, close }
}

function startWorker (settings: StoreSettings, logger: Logger | undefined): Promise<EmbeddedStore> {
  const data: StoreWorkerData = { settings, minLevel: logger === undefined ? null : logger.levelVal }
  const worker = new Worker(workerEntry, { workerData: data, execArgv: workerExecArgv() })
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  return new Promise<EmbeddedStore>((resolve, reject) => {
    let started = false
    let closing: Promise<void> | null = null
    let closeWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null
    worker.on('message', (msg: StoreWorkerMessage) => {
      switch (msg.type) {
        case 'log':
          logger?.[msg.level](msg.obj, msg.msg)
          break
        case 'ready':
          started = true
          resolve(storeHandle(msg.port, () => {
            closing ??= new Promise<void>((res, rej) => {
              closeWaiter = { resolve: res, reject: rej }
              worker.postMessage({ type: 'close' })
            }).then(async () => { await exited })
            return closing
          }))
          break
        case 'failed':
          reject(revive(msg.error))
          break
        case 'closed':
          closeWaiter?.resolve()
          break
        case 'close-failed':
          closeWaiter?.reject(revive(msg.error))
          break
      }
    })
    worker.on('error', (err) => {
      if (!started) reject(err)
      else if (closeWaiter !== null) closeWaiter.reject(err)
      else logger?.error({ err }, 'embedded store worker failed')
    })
    void exited.then((code) => {
      if (!started) reject(new Error(`embedded store worker exited (code ${code}) before it was ready`))
      else if (closeWaiter === null) logger?.error({ code }, 'embedded store worker exited unexpectedly')
      else closeWaiter.reject(new Error(`embedded store worker exited (code ${code}) before it closed`))
    })
  })
}

export async function startEmbeddedStore (opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const settings = storeSettings(opts)
  if (opts.inline !== true) return await startWorker(settings, opts.logger)
  const store = await runStore(settings, opts.logger)
  return storeHandle(store.port, () => store.close())
}

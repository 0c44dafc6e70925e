// Worker-thread entry: runs the store off the caller's event loop so BSON decoding, indexing, journaling and
// long aggregations neither block the web server nor add to the driver's own CPU time.
import { parentPort, workerData } from 'node:worker_threads'
import type { Logger } from 'pino'
import { runStore, type StoreSettings } from './store-inline.js'

export interface StoreWorkerData { settings: StoreSettings; /** pino numeric level; null = no logger */ minLevel: number | null }

export type WorkerLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/** Worker → caller. `error` carries a coded error's fields so the caller can re-throw it unchanged. */
export type StoreWorkerMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; error: SerializedError }
  | { type: 'log'; level: WorkerLevel; obj: Record<string, unknown>; msg: string | undefined }
  | { type: 'closed' }
  | { type: 'close-failed'; error: SerializedError }

export interface SerializedError { name: string; message: string; stack?: string | undefined; code?: unknown; statusCode?: unknown }

export function serializeError (err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const e = err as Error & { code?: unknown; statusCode?: unknown }
  return { name: e.name, message: e.message, stack: e.stack, code: e.code, statusCode: e.statusCode }
}

const LEVELS: Readonly<Record<WorkerLevel, number>> = Object.freeze({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 })

/** Errors do not survive structured cloning with their extra fields; send pino's `err` shape instead. */
function cloneable (obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) {
    out[k] = v instanceof Error ? { type: v.name, ...serializeError(v) } : v
  }
  return out
}

/** A logger that forwards (level, object, message) to the caller's pino logger. */
function forwardingLogger (port: NonNullable<typeof parentPort>, minLevel: number): Logger {
  const logger: Record<string, unknown> = {}
  for (const [level, value] of Object.entries(LEVELS) as Array<[WorkerLevel, number]>) {
    logger[level] = (objOrMsg: unknown, msg?: string): void => {
      if (value < minLevel) return
      const obj = typeof objOrMsg === 'object' && objOrMsg !== null ? cloneable(objOrMsg as Record<string, unknown>) : {}
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg
      const message: StoreWorkerMessage = { type: 'log', level, obj, msg: text }
      try { port.postMessage(message) } catch { port.postMessage({ type: 'log', level, obj: {}, msg: text }) }
    }
  }
  logger.child = () => logger
  logger.isLevelEnabled = (level: WorkerLevel) => LEVELS[level] >= minLevel
  return logger as unknown as Logger
}

async function main (port: NonNullable<typeof parentPort>): Promise<void> {
  const data = workerData as StoreWorkerData
  const logger = data.minLevel === null ? undefined : forwardingLogger(port, data.minLevel)
  let store
  try {
    store = await runStore(data.settings, logger)
  } catch (err) {
    port.postMessage({ type: 'failed', error: serializeError(err) } satisfies StoreWorkerMessage)
    port.close()
    return
  }
  const running = store
  port.on('message', (msg: { type?: unknown }) => {
    if (msg.type !== 'close') return
    running.close().then(
      () => { port.postMessage({ type: 'closed' } satisfies StoreWorkerMessage) },
      (err: unknown) => { port.postMessage({ type: 'close-failed', error: serializeError(err) } satisfies StoreWorkerMessage) }
    ).finally(() => { port.close() })
  })
  port.postMessage({ type: 'ready', port: store.port } satisfies StoreWorkerMessage)
}

if (parentPort !== null) void main(parentPort)

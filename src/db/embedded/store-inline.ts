// Runs the engine + wire server on the calling thread: the body of the store whether it lives in a worker
// (store-worker.ts), in the standalone CLI, or inline (`inline: true`).
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { CursorManager } from './cursors.js'
import { Engine } from './engine.js'
import { StoreLocked, StoreOptionsInvalid } from './errors.js'
import { WireServer } from './wire-server.js'

export interface StoreSettings { dataDir: string; port: number; ttlIntervalMs: number }

export interface RunningStore { port: number; close(): Promise<void> }

const LOCK_FILE = 'store.lock'
const INFO_FILE = 'store.json'

/** Validates options in the caller, so a bad option fails before a worker is spawned. */
export function storeSettings (opts: { dataDir: string; port?: number; ttlIntervalMs?: number }): StoreSettings {
  if (typeof opts.dataDir !== 'string' || opts.dataDir.length === 0) throw new StoreOptionsInvalid('dataDir is required')
  const ttlIntervalMs = opts.ttlIntervalMs ?? 60_000
  if (!(ttlIntervalMs > 0)) throw new StoreOptionsInvalid('ttlIntervalMs must be positive')
  return { dataDir: path.resolve(opts.dataDir), port: opts.port ?? 0, ttlIntervalMs }
}

function pidAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

async function acquireLock (dataDir: string): Promise<string> {
  const file = path.join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // A worker thread shares the process id, so the lock names the owning process either way.
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' })
      return file
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) throw new StoreLocked(dataDir, String(owner))
      // A stale lock left by a killed process: take it over.
      await fsp.rm(file, { force: true })
    }
  }
  throw new StoreLocked(dataDir, 'unknown')
}

/** The running store for a data directory ({pid, port}), or null if none is alive. */
export async function readRunningStore (dataDir: string): Promise<{ pid: number; port: number } | null> {
  try {
    const info = JSON.parse(await fsp.readFile(path.join(dataDir, INFO_FILE), 'utf8')) as { pid?: unknown; port?: unknown }
    if (typeof info.pid !== 'number' || typeof info.port !== 'number') return null
    return pidAlive(info.pid) ? { pid: info.pid, port: info.port } : null
  } catch {
    return null
  }
}

export async function runStore (settings: StoreSettings, logger?: Logger): Promise<RunningStore> {
  const { dataDir, ttlIntervalMs } = settings
  await fsp.mkdir(dataDir, { recursive: true })
  const lockFile = await acquireLock(dataDir)
  const engine = new Engine(dataDir, logger)
  const cursors = new CursorManager()
  const server = new WireServer(engine, cursors, logger)
  let ttlTimer: NodeJS.Timeout | null = null
  try {
    await engine.open()
    const port = await server.listen(settings.port)
    cursors.start()
    ttlTimer = setInterval(() => {
      try {
        const removed = engine.runTtl()
        if (removed > 0) {
          engine.commit().catch((err: unknown) => logger?.error({ err }, 'embedded store TTL journal write failed'))
          logger?.debug({ removed }, 'embedded store TTL pass removed expired documents')
        }
      } catch (err) {
        logger?.error({ err }, 'embedded store TTL pass failed')
      }
    }, ttlIntervalMs)
    ttlTimer.unref()
    const infoFile = path.join(dataDir, INFO_FILE)
    await fsp.writeFile(infoFile, JSON.stringify({ pid: process.pid, port }))
    let closing: Promise<void> | null = null
    return {
      port,
      close () {
        closing ??= (async () => {
          if (ttlTimer !== null) clearInterval(ttlTimer)
          await server.close()
          cursors.stop()
          await engine.close()
          await fsp.rm(infoFile, { force: true })
          await fsp.rm(lockFile, { force: true })
        })()
        return closing
      }
    }
  } catch (err) {
    if (ttlTimer !== null) clearInterval(ttlTimer)
    await server.close().catch(() => {})
    await engine.close().catch(() => {})
    await fsp.rm(lockFile, { force: true })
    throw err
  }
}

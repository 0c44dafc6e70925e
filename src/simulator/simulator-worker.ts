// The simulator in a worker thread of the same process: benchmarks measure AtlasLens on the main thread instead of
// sharing it with the simulator's generation and JSON. Same HTTP API; handle queries become async messages.
import { Worker } from 'node:worker_threads'
import type { SimCredentials } from './context.js'
import type { SimulatorOptions } from './index.js'

export type WorkerRequest =
  | { id: number, kind: 'groundTruth', from?: Date, to?: Date }
  | { id: number, kind: 'stats' }
  | { id: number, kind: 'close' }

export type WorkerReply =
  | { id: 0, kind: 'ready', url: string, info: { orgId: string, workspace: string, siteHost: string, credentials: SimCredentials } }
  | { id: number, kind: 'groundTruth', value: Record<string, number> }
  | { id: number, kind: 'stats', value: { requests: number, faultsInjected: Record<string, number>, byRoute: Record<string, number> } }
  | { id: number, kind: 'closed' }

export interface WorkerSimulatorHandle {
  orgId: string
  workspace: string
  siteHost: string
  credentials: SimCredentials
  groundTruth: (from?: Date, to?: Date) => Promise<Record<string, number>>
  stats: () => Promise<{ requests: number, faultsInjected: Record<string, number>, byRoute: Record<string, number> }>
}

export interface WorkerSimulator {
  url: string
  handle: WorkerSimulatorHandle
  close: () => Promise<void>
}

/** Starts the simulator (same options as startSimulator; `logger` must stay off) in a worker thread. */
export async function startSimulatorInWorker (opts: SimulatorOptions = {}, port = 0): Promise<WorkerSimulator> {
  const worker = new Worker(new URL('./simulator-worker-entry.js', import.meta.url), { workerData: { opts, port } })
  const pending = new Map<number, (reply: WorkerReply) => void>()
  let nextId = 1
  let failure: Error | null = null
  const ready = new Promise<Extract<WorkerReply, { kind: 'ready' }>>((resolve, reject) => {
    worker.once('error', reject)
    pending.set(0, (r) => { if (r.kind === 'ready') resolve(r) })
  })
  worker.on('message', (r: WorkerReply) => {
    const done = pending.get(r.id)
    pending.delete(r.id)
    done?.(r)
  })
  worker.on('error', (err) => { failure = err })
  const ask = async (req: Omit<WorkerRequest, 'id'>): Promise<WorkerReply> => {
    if (failure) throw failure
    const id = nextId++
    return await new Promise((resolve) => {
      pending.set(id, resolve)
      worker.postMessage({ ...req, id })
    })
  }
  const { url, info } = await ready
  return {
    url,
    handle: {
      ...info,
      groundTruth: async (from, to) => {
        const r = await ask({ kind: 'groundTruth', from, to } as Omit<WorkerRequest, 'id'>)
        return r.kind === 'groundTruth' ? r.value : {}
      },
      stats: async () => {
        const r = await ask({ kind: 'stats' })
        return r.kind === 'stats' ? r.value : { requests: 0, faultsInjected: {}, byRoute: {} }
      }
    },
    close: async () => {
      await ask({ kind: 'close' })
      await worker.terminate()
    }
  }
}

// Worker-thread side of startSimulatorInWorker: runs the ordinary simulator and answers handle queries by message.
import { parentPort, workerData } from 'node:worker_threads'
import { startSimulator, type SimulatorOptions } from './index.js'
import type { WorkerReply, WorkerRequest } from './simulator-worker.js'

const { opts, port } = workerData as { opts: SimulatorOptions, port: number }
const sim = await startSimulator(opts, port)
const port0 = parentPort
if (port0 === null) throw new Error('simulator-worker-entry must run in a worker thread')

port0.on('message', (msg: WorkerRequest) => {
  const reply = (r: WorkerReply): void => port0.postMessage(r)
  if (msg.kind === 'groundTruth') {
    reply({ id: msg.id, kind: 'groundTruth', value: sim.handle.groundTruth(msg.from, msg.to) })
  } else if (msg.kind === 'stats') {
    reply({ id: msg.id, kind: 'stats', value: sim.handle.stats() })
  } else {
    void sim.close().then(() => reply({ id: msg.id, kind: 'closed' }))
  }
})
port0.postMessage({
  id: 0,
  kind: 'ready',
  url: sim.url,
  info: { orgId: sim.handle.orgId, workspace: sim.handle.workspace, siteHost: sim.handle.siteHost, credentials: sim.handle.credentials }
} satisfies WorkerReply)

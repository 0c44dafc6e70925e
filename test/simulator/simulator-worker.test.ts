import t from 'tap'
import { startSimulator } from '../../src/simulator/index.js'
import { startSimulatorInWorker } from '../../src/simulator/simulator-worker.js'

t.test('the simulator in a worker thread serves the same API and ground truth as on the main thread', async (t) => {
  const now = new Date('2026-06-01T00:00:00Z')
  const opts = { seed: 5, size: { people: 20, events: 400 }, faults: 'none' as const, now, credentials: { email: 'ops@acme.test', token: 'tok-w', orgKey: 'key-w' } }
  const inWorker = await startSimulatorInWorker(opts)
  t.teardown(inWorker.close)
  const onMain = await startSimulator(opts)
  t.teardown(onMain.close)

  t.same(await inWorker.handle.groundTruth(), onMain.handle.groundTruth())
  t.equal(inWorker.handle.orgId, onMain.handle.orgId)
  t.equal(inWorker.handle.workspace, onMain.handle.workspace)
  t.match(inWorker.handle.siteHost, /^127\.0\.0\.1:\d+$/)

  const auth = { authorization: 'Basic ' + Buffer.from('ops@acme.test:tok-w').toString('base64') }
  const path = `/2.0/repositories/${inWorker.handle.workspace}`
  const [a, b] = await Promise.all([fetch(inWorker.url + path, { headers: auth }), fetch(onMain.url + path, { headers: auth })])
  t.equal(a.status, 200)
  // Self links carry each server's own port.
  const body = async (r: Response, url: string): Promise<string> => (await r.text()).replaceAll(url, 'SIM')
  t.equal(await body(a, inWorker.url), await body(b, onMain.url))
  t.equal((await fetch(inWorker.url + path)).status, 401)
  t.ok((await inWorker.handle.stats()).requests >= 2)
})

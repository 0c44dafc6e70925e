// Test helper (not a test file): a Fastify server on 127.0.0.1:0 that records every request it receives.
import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'

export interface SeenRequest { method: string, url: string, headers: Record<string, string | string[] | undefined>, body: unknown, at: number }

export interface LocalServer { app: FastifyInstance, url: string, requests: SeenRequest[] }

interface TeardownHost { teardown: (fn: () => unknown) => void }

export async function startLocalServer (t: TeardownHost, routes: (app: FastifyInstance) => void): Promise<LocalServer> {
  const app = Fastify({ logger: false })
  const requests: SeenRequest[] = []
  const byRequest = new WeakMap<object, SeenRequest>()
  // onRequest sees every request, even one whose body the server cannot parse.
  app.addHook('onRequest', async (req) => {
    const seen: SeenRequest = { method: req.method, url: req.url, headers: req.headers, body: undefined, at: performance.now() }
    requests.push(seen)
    byRequest.set(req, seen)
  })
  app.addHook('preHandler', async (req) => {
    const seen = byRequest.get(req)
    if (seen) seen.body = req.body
  })
  // Record requests that match no route too (e.g. a write to an unknown path).
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ errorMessages: ['not found'], errors: {} }))
  routes(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return { app, url: `http://127.0.0.1:${address.port}`, requests }
}

/** A pino logger writing JSON lines into an array, at debug level so every request line is captured. */
export function captureLogger (): { logger: Logger, lines: string[], entries: () => Array<Record<string, unknown>> } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, cb) { lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')); cb() }
  })
  const logger = pino({ level: 'debug' }, stream)
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

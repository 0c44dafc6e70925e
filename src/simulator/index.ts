// The Atlassian Cloud simulator: one Fastify app serving Jira, JSM, Confluence, Bitbucket and the admin API
// over a seeded, deterministic org, with a movable clock, deterministic faults and a ground-truth endpoint.
import Fastify, { type FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClock } from './clock.js'
import { createSnapshotCache, type SimContext, type SimCredentials } from './context.js'
import { createFaultEngine, FaultKind, resolveFaults, type FaultConfig, type FaultsOption } from './faults.js'
import { createWorld, groundTruth, type SizeOption } from './world.js'
import { authorized } from './auth.js'
import { productOf, ProductKind, sendError, unauthorizedMessage } from './products.js'
import { registerJiraRoutes } from './jira-routes.js'
import { registerConfluenceRoutes } from './confluence-routes.js'
import { registerBitbucketRoutes } from './bitbucket-routes.js'
import { registerAdminRoutes } from './admin-routes.js'
import { registerSimulatorRoutes } from './simulator-routes.js'
import { SimulatorOptionsInvalid } from './errors.js'

export type { FaultConfig, FaultsOption } from './faults.js'
export { GROUND_TRUTH_SOURCES, type GroundTruthSource } from './world.js'

export interface SimulatorOptions {
  seed?: number
  size?: SizeOption
  guard?: boolean
  /** A preset or an explicit fault configuration (missing keys = no fault of that kind). */
  faults?: FaultsOption
  hostile?: boolean
  credentials?: SimCredentials
  orgId?: string
  workspace?: string
  /** Fixed clock start; default: real time. */
  now?: Date
  logger?: boolean
}

export interface SimulatorHandle {
  clock: { now: () => Date, advance: (ms: number) => void }
  groundTruth: (from?: Date, to?: Date) => Record<string, number>
  orgId: string
  workspace: string
  siteHost: string
  credentials: SimCredentials
  faults: FaultConfig
  stats: () => { requests: number, faultsInjected: Record<string, number>, byRoute: Record<string, number> }
}

export type SimulatorApp = FastifyInstance & { simulator: SimulatorHandle }

export const DEFAULT_CREDENTIALS: SimCredentials = Object.freeze({ email: 'admin@example.com', token: 'sim-token', orgKey: 'sim-org-key' })

export async function buildSimulator (opts: SimulatorOptions = {}): Promise<SimulatorApp> {
  const seed = opts.seed ?? 1
  if (!Number.isInteger(seed)) throw new SimulatorOptionsInvalid('seed must be an integer')
  const clock = createClock(opts.now)
  const credentials = { ...(opts.credentials ?? DEFAULT_CREDENTIALS) }
  const world = createWorld({ seed, start: clock.nowMs(), size: opts.size ?? 'small', guard: opts.guard ?? true, hostile: opts.hostile ?? false, adminEmail: credentials.email })
  const faults = createFaultEngine(resolveFaults(opts.faults, seed), seed, () => Date.now())
  const ctx: SimContext = {
    world,
    clock,
    faults,
    credentials,
    orgId: opts.orgId ?? 'sim-org',
    workspace: opts.workspace ?? 'acme',
    stats: { requests: 0, byRoute: {} },
    snapshot: createSnapshotCache()
  }
  // Never log Authorization headers: the default serializers log method and URL only.
  const app = Fastify({ logger: opts.logger === true ? { level: 'info' } : false, bodyLimit: 1_048_576 })

  app.addHook('onRequest', async (req, reply) => {
    const product = productOf(req.url)
    if (product === ProductKind.Simulator) return
    ctx.stats.requests++
    // Per route pattern (ids left out), so a benchmark can see which endpoints its requests go to.
    const route = `${req.method} ${req.routeOptions.url ?? '(no route)'}`
    ctx.stats.byRoute[route] = (ctx.stats.byRoute[route] ?? 0) + 1
    if (product === ProductKind.Other) return sendError(reply, product, 404, 'Not found')
    if (!authorized(product, req.headers.authorization, credentials)) return sendError(reply, product, 401, unauthorizedMessage(product))
    if (faults.expireTokenNow()) {
      faults.count(FaultKind.ExpiredToken)
      return sendError(reply, product, 401, product === ProductKind.Admin ? 'The API key has expired.' : 'The API token has expired.')
    }
  })

  app.addHook('preHandler', async (req, reply) => {
    const product = productOf(req.url)
    if (product === ProductKind.Simulator) return
    const key = `${req.method} ${req.url} ${req.body === undefined ? '' : JSON.stringify(req.body)}`
    const d = faults.decide(key)
    req.simFault = d
    if (d.slowMs > 0) { faults.count(FaultKind.Slow); await sleep(d.slowMs) }
    if (d.status !== null) {
      faults.count(d.status === 429 ? FaultKind.RateLimit : FaultKind.ServerError)
      if (d.retryAfter !== null) reply.header('retry-after', d.retryAfter)
      if (d.status === 429 && product === ProductKind.Bitbucket) return reply.code(429).type('text/plain').send('Rate limit for this resource has been exceeded')
      return sendError(reply, product, d.status, d.status === 429 ? 'Rate limit exceeded.' : 'The service is temporarily unavailable. Please try again later.')
    }
  })

  app.addHook('onSend', async (req, reply, payload) => {
    if (req.simFault?.truncate !== true || reply.statusCode !== 200 || typeof payload !== 'string') return payload
    faults.count(FaultKind.Truncated)
    // A body cut mid-JSON with a matching Content-Length: the transport succeeds, parsing fails.
    return payload.slice(0, Math.max(1, Math.floor(payload.length / 2)))
  })

  app.setNotFoundHandler(async (req, reply) => sendError(reply, productOf(req.url), 404, 'No resource found for this path.'))

  registerJiraRoutes(app, ctx)
  registerConfluenceRoutes(app, ctx)
  registerBitbucketRoutes(app, ctx)
  registerAdminRoutes(app, ctx)
  registerSimulatorRoutes(app, ctx)

  const handle: SimulatorHandle = {
    clock: { now: () => clock.now(), advance: (ms) => clock.advance(ms) },
    groundTruth: (from, to) => groundTruth(world, clock.nowMs(), from?.getTime(), to?.getTime()).sources,
    orgId: ctx.orgId,
    workspace: ctx.workspace,
    siteHost: '127.0.0.1',
    credentials,
    faults: faults.config,
    stats: () => ({ requests: ctx.stats.requests, faultsInjected: { ...faults.counts }, byRoute: { ...ctx.stats.byRoute } })
  }
  app.decorate('simulator', handle)
  return app as unknown as SimulatorApp
}

export async function startSimulator (opts: SimulatorOptions = {}, port = 0): Promise<{ url: string, handle: SimulatorHandle, close: () => Promise<void> }> {
  const app = await buildSimulator(opts)
  await app.listen({ host: '127.0.0.1', port })
  const addr = app.server.address()
  const actual = typeof addr === 'object' && addr !== null ? addr.port : port
  app.simulator.siteHost = `127.0.0.1:${actual}`
  return { url: `http://127.0.0.1:${actual}`, handle: app.simulator, close: async () => { await app.close() } }
}

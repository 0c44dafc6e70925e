// Test/bench-only endpoints on the simulator (never on AtlasLens): ground truth, clock, stats. No auth.
import type { FastifyInstance } from 'fastify'
import type { SimContext } from './context.js'
import { groundTruth } from './world.js'
import { parseQueryDate } from './query-parsers.js'

export function registerSimulatorRoutes (app: FastifyInstance, ctx: SimContext): void {
  app.get('/_simulator/ground-truth', async (req, reply) => {
    const q = req.query as { from?: string, to?: string }
    const from = q.from === undefined ? undefined : parseQueryDate(q.from)
    const to = q.to === undefined ? undefined : parseQueryDate(q.to)
    if (from === null || to === null) return reply.code(400).send({ error: 'from/to must be ISO dates' })
    return reply.send(groundTruth(ctx.world, ctx.clock.nowMs(), from, to))
  })

  app.get('/_simulator/info', async (_req, reply) => reply.send({
    now: ctx.clock.now().toISOString(),
    orgId: ctx.orgId,
    workspace: ctx.workspace,
    guard: ctx.world.guard,
    people: ctx.world.org.people.length,
    stats: { requests: ctx.stats.requests, faultsInjected: ctx.faults.counts }
  }))

  // Lets a demo or an out-of-process test move the clock of a CLI-started simulator.
  app.post('/_simulator/clock/advance', async (req, reply) => {
    const q = req.query as { ms?: string }
    const ms = Number(q.ms)
    if (!Number.isFinite(ms) || ms < 0) return reply.code(400).send({ error: 'ms must be a non-negative number' })
    ctx.clock.advance(ms)
    return reply.send({ now: ctx.clock.now().toISOString() })
  })
}

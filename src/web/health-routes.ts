// Public probes: liveness says nothing; readiness pings the database and says only ready or not.
import type { FastifyPluginAsync } from 'fastify'
import { Type } from '@sinclair/typebox'

const Status = Type.Object({ status: Type.String() })

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { response: { 200: Status } }, logLevel: 'warn' }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { response: { 200: Status, 503: Status } }, logLevel: 'warn' }, async (request, reply) => {
    try {
      await app.mongo.db.command({ ping: 1 }, { timeoutMS: 2000 })
      return { status: 'ready' }
    } catch (err) {
      request.log.warn({ err: { name: (err as Error).name } }, 'readiness check failed')
      return reply.code(503).send({ status: 'not ready' })
    }
  })
}

// Decorates app.operatorLog (record + list over admin_audit) and serves the operator log page.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import {
  createOperatorLogRepository, type OperatorLogInput, type OperatorLogPage, type OperatorLogQuery
} from './operator-log-repository.js'
import { operatorLogRoutes } from './operator-log-routes.js'

export interface OperatorLog {
  /** Appends one entry. Other domains call this for exports, manual syncs and the like. */
  record: (entry: OperatorLogInput) => Promise<void>
  list: (query?: OperatorLogQuery) => Promise<OperatorLogPage>
}

declare module 'fastify' {
  interface FastifyInstance { operatorLog: OperatorLog }
}

async function operatorLogPlugin (app: FastifyInstance): Promise<void> {
  const repository = createOperatorLogRepository(app.mongo.db)
  await repository.ensureIndexes()
  app.decorate('operatorLog', {
    record: async (entry: OperatorLogInput) => { await repository.record(entry) },
    list: async (query?: OperatorLogQuery) => repository.list(query)
  })
  // The page is gated like every other route by the auth plugin's global onRequest hook.
  await app.register(operatorLogRoutes)
}

export default fp(operatorLogPlugin, { name: 'operator-log', dependencies: ['mongo', 'view'] })

// JSON API: sync status, Sync now and cancel (behind the same login gate as every data route).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { SourceId } from '../connectors/connector.js'
import { loadSyncStatus, type SourceStatusView } from './sync-status.js'
import { cancelSync, SourceFilterSchema, startSync, type SourceFilter } from './sync-actions.js'

// An empty POST means "every source": give the schema an object to validate.
async function defaultBody (request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {}
}

export const syncApiRoutes: FastifyPluginAsync = async (app) => {
  const statusOf = async (filter: SourceFilter): Promise<SourceStatusView[]> =>
    await loadSyncStatus(app.scheduler, new Date(), filter.site, filter.source as SourceId | undefined)

  app.get<{ Querystring: SourceFilter }>('/api/v1/sync/status', { schema: { querystring: SourceFilterSchema } }, async (request) => {
    return {
      schedulerEnabled: app.config.schedulerEnabled,
      intervalMinutes: app.config.syncIntervalMinutes,
      sources: await statusOf(request.query)
    }
  })

  // 202 when at least one run started; 409 with the runs in progress (or the reasons) when none could start.
  app.post<{ Body: SourceFilter }>('/api/v1/sync', { schema: { body: SourceFilterSchema }, preValidation: defaultBody }, async (request, reply) => {
    const filter = request.body ?? {}
    const items = await startSync(app, request, filter)
    const status = await statusOf(filter)
    const runs = items.map((i) => ({ ...i, progress: status.find((s) => s.site === i.site && s.source === i.source)?.running ?? null }))
    const started = items.some((i) => i.status === 'started')
    return reply.code(started ? 202 : 409).send({ status: started ? 'started' : 'not_started', runs })
  })

  app.post<{ Body: SourceFilter }>('/api/v1/sync/cancel', { schema: { body: SourceFilterSchema }, preValidation: defaultBody }, async (request, reply) => {
    const items = await cancelSync(app, request, request.body ?? {})
    return { cancelled: items }
  })
}

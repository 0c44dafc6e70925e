// The Connector health page: one card per site × source from connector_state. A card polls itself (htmx, every 2 s)
// only while its run is active; the server stops the polling by rendering the card without the trigger.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isFragment, renderPageOrFragment } from '../web/render.js'
import type { SourceId } from '../connectors/connector.js'
import { UnknownSourceError } from './errors.js'
import { loadSyncStatus, SILENT_INTERVALS, type SourceStatusView } from './sync-status.js'
import { cancelSync, SOURCE_IDS, startSync, type SourceFilter } from './sync-actions.js'

const CardQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'source'],
  properties: {
    site: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', enum: [...SOURCE_IDS] }
  }
} as const

const CardFormSchema = {
  type: 'object',
  required: ['site', 'source'],
  properties: {
    site: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', enum: [...SOURCE_IDS] },
    _csrf: { type: 'string', maxLength: 500 }
  }
} as const

interface CardTarget { site: string, source: SourceId }

export const connectorsRoutes: FastifyPluginAsync = async (app) => {
  const pageModel = async (cards: SourceStatusView[], card: SourceStatusView | null): Promise<Record<string, unknown> & { title: string }> => ({
    title: 'Connectors',
    cards,
    card,
    schedulerEnabled: app.config.schedulerEnabled,
    intervalMinutes: app.config.syncIntervalMinutes,
    silentIntervals: SILENT_INTERVALS,
    sitesConfigured: app.config.sites.length
  })

  async function sendCard (request: FastifyRequest, reply: FastifyReply, target: CardTarget): Promise<FastifyReply> {
    const cards = await loadSyncStatus(app.scheduler, new Date())
    const card = cards.find((c) => c.site === target.site && c.source === target.source)
    if (card === undefined) throw new UnknownSourceError(`${target.site} / ${target.source}`)
    return await renderPageOrFragment(request, reply, 'pages/connectors.eta', 'partials/connector-card.eta', await pageModel(cards, card))
  }

  app.get('/connectors', { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, async (request, reply) => {
    const cards = await loadSyncStatus(app.scheduler, new Date())
    return await renderPageOrFragment(request, reply, 'pages/connectors.eta', 'partials/connector-list.eta', await pageModel(cards, null))
  })

  // One card: what the polling trigger fetches (a full page for a plain browser request).
  // Polled every 2 s while a run is active: not an operator "view" worth a log line each time.
  app.get<{ Querystring: CardTarget }>('/connectors/card', { schema: { querystring: CardQuerySchema }, config: { operatorLog: false } }, async (request, reply) => {
    return await sendCard(request, reply, request.query)
  })

  const afterAction = async (request: FastifyRequest, reply: FastifyReply, target: CardTarget): Promise<FastifyReply> => {
    // Without htmx, post/redirect/get back to the page.
    if (!isFragment(request)) return reply.redirect('/connectors', 303)
    return await sendCard(request, reply, target)
  }

  app.post<{ Body: CardTarget }>('/connectors/sync', { schema: { body: CardFormSchema } }, async (request, reply) => {
    const target: SourceFilter = { site: request.body.site, source: request.body.source }
    await startSync(app, request, target)
    return await afterAction(request, reply, request.body)
  })

  app.post<{ Body: CardTarget }>('/connectors/cancel', { schema: { body: CardFormSchema } }, async (request, reply) => {
    await cancelSync(app, request, { site: request.body.site, source: request.body.source })
    return await afterAction(request, reply, request.body)
  })
}

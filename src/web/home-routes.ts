// The landing page after login: where each part of AtlasLens lives.
import type { FastifyPluginAsync } from 'fastify'
import { renderPage } from './render.js'

export const homeRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, async (_request, reply) => {
    const sites = app.config.sites.map((s) => s.id)
    return renderPage(reply, 'pages/home.eta', { title: 'AtlasLens', sites, embedded: app.mongo.embedded })
  })
}

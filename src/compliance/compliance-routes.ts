// GET /compliance (printable evidence page) and GET /api/v1/compliance (the same report as JSON).
// Both are gated by the auth plugin's global hook; every figure is measured when the request arrives.
import type { FastifyPluginAsync } from 'fastify'
import { renderPage } from '../web/render.js'
import { buildComplianceReport } from './compliance-report.js'

const NoQuery = { type: 'object', additionalProperties: false, properties: {} } as const

const ReportSchema = {
  type: 'object',
  required: ['generated_at', 'controls', 'summary'],
  properties: {
    generated_at: { type: 'string', format: 'date-time' },
    summary: {
      type: 'object',
      properties: { pass: { type: 'integer' }, fail: { type: 'integer' }, warn: { type: 'integer' }, info: { type: 'integer' } }
    },
    controls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'status', 'value', 'detail'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'string', enum: ['pass', 'fail', 'warn', 'info'] },
          value: { type: 'string' },
          detail: { type: 'string' }
        }
      }
    }
  }
} as const

export const complianceRoutes: FastifyPluginAsync = async (app) => {
  const report = async () => await buildComplianceReport({
    db: app.mongo.db,
    cipher: app.fieldCipher,
    encryptDisplayNames: app.config.encryptDisplayNames,
    retentionSeconds: app.config.retentionSeconds
  })

  app.get('/compliance', { schema: { querystring: NoQuery } }, async (_request, reply) => {
    const r = await report()
    return await renderPage(reply, 'pages/compliance.eta', {
      title: 'Compliance evidence',
      generatedAt: r.generated_at.toISOString(),
      summary: r.summary,
      controls: r.controls
    })
  })

  app.get('/api/v1/compliance', { schema: { querystring: NoQuery, response: { 200: ReportSchema } } }, async () => {
    const r = await report()
    return { ...r, generated_at: r.generated_at.toISOString() }
  })
}

// GET /operator-log: who did what in AtlasLens (sign-ins, views, exports, syncs, provisioning), newest first.
import type { FastifyPluginAsync } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { renderPage } from '../web/render.js'
import { OperatorAction } from './operator-action.js'

const OperatorLogQuerystring = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  action: Type.Optional(Type.String({ maxLength: 40, pattern: '^[a-z0-9_]*$' })),
  username: Type.Optional(Type.String({ maxLength: 64 }))
}, { additionalProperties: false })
type OperatorLogQuerystring = Static<typeof OperatorLogQuerystring>

export const operatorLogRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: OperatorLogQuerystring }>('/operator-log', {
    schema: { querystring: OperatorLogQuerystring }
  }, async (request, reply) => {
    const action = request.query.action ?? ''
    const username = (request.query.username ?? '').trim()
    const result = await app.operatorLog.list({ action, username, page: request.query.page ?? 1 })
    const pageHref = (page: number): string => {
      const q = new URLSearchParams()
      if (action !== '') q.set('action', action)
      if (username !== '') q.set('username', username)
      q.set('page', String(page))
      return `/operator-log?${q.toString()}`
    }
    return renderPage(reply, 'pages/operator-log.eta', {
      title: 'Operator log',
      actions: Object.values(OperatorAction),
      filter: { action, username },
      rows: result.entries.map((e) => ({
        at: e.at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        action: e.action,
        username: e.username,
        ip: e.ip ?? '',
        outcome: e.outcome,
        details: Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ')
      })),
      page: result.page,
      previousHref: result.page > 1 ? pageHref(result.page - 1) : null,
      nextHref: result.hasMore ? pageHref(result.page + 1) : null
    })
  })
}

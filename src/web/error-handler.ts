// The one error handler: coded errors become an HTML page, an htmx fragment or JSON, by what the request asked for.
// 4xx messages are shown to the operator; 5xx messages are logged and hidden.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isFragment, LAYOUT } from './render.js'
import { NotFoundError } from './errors.js'

export interface ErrorBody {
  error: { status: number, code: string, message: string, request_id: string }
}

const HIDDEN_MESSAGE = 'Something went wrong on our side. It has been logged.'

/** JSON for the API and for clients that prefer it; HTML for browsers. */
export function wantsJson (request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true
  const accept = request.headers.accept ?? ''
  if (accept === '' || accept.includes('text/html')) return false
  return accept.includes('application/json')
}

export function errorBody (request: FastifyRequest, status: number, code: string, message: string): ErrorBody {
  return { error: { status, code, message, request_id: String(request.id) } }
}

export async function sendError (request: FastifyRequest, reply: FastifyReply, body: ErrorBody): Promise<FastifyReply> {
  reply.code(body.error.status)
  if (wantsJson(request)) return reply.type('application/json; charset=utf-8').send(body)
  reply.header('Vary', 'HX-Request, Accept')
  const model = { title: `${body.error.status} — ${statusTitle(body.error.status)}`, ...body.error, statusTitle: statusTitle(body.error.status) }
  if (isFragment(request)) {
    // htmx ignores 4xx/5xx bodies by default; retarget so the operator still sees why.
    reply.header('HX-Retarget', '#flash').header('HX-Reswap', 'innerHTML')
    return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('errors/error-fragment.eta', model))
  }
  return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('errors/error-page.eta', model, { layout: LAYOUT }))
}

export function registerErrorHandlers (app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ code: error.code, status }, 'request rejected')
    }
    const code = error.validation !== undefined ? 'ATL_VALIDATION' : (error.code ?? (status >= 500 ? 'ATL_INTERNAL' : 'ATL_BAD_REQUEST'))
    const message = status >= 500 ? HIDDEN_MESSAGE : error.message
    return sendError(request, reply, errorBody(request, status, code, message))
  })

  app.setNotFoundHandler(async (request, reply) => {
    const err = new NotFoundError(request.url.split('?')[0] ?? '/')
    return sendError(request, reply, errorBody(request, 404, err.code, err.message))
  })
}

function statusTitle (status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad request', 401: 'Not signed in', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict',
    413: 'Too large', 415: 'Unsupported media type', 429: 'Too many requests', 503: 'Unavailable'
  }
  return titles[status] ?? (status >= 500 ? 'Server error' : 'Request error')
}

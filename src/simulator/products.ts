// Which Atlassian product a path belongs to, and each product's real error body shape.
import type { FastifyReply } from 'fastify'
import { randomUUID } from 'node:crypto'

export const ProductKind = Object.freeze({ Jira: 'jira', ConfluenceV1: 'confluence-v1', ConfluenceV2: 'confluence-v2', Bitbucket: 'bitbucket', Admin: 'admin', Simulator: 'simulator', Other: 'other' } as const)
export type ProductKind = typeof ProductKind[keyof typeof ProductKind]

export function productOf (url: string): ProductKind {
  if (url.startsWith('/rest/')) return ProductKind.Jira
  if (url.startsWith('/wiki/api/v2/')) return ProductKind.ConfluenceV2
  if (url.startsWith('/wiki/')) return ProductKind.ConfluenceV1
  if (url.startsWith('/2.0/') || url === '/2.0') return ProductKind.Bitbucket
  if (url.startsWith('/admin/')) return ProductKind.Admin
  if (url.startsWith('/_simulator/')) return ProductKind.Simulator
  return ProductKind.Other
}

const ADMIN_CODES: Record<number, string> = { 400: 'ADMIN-400', 401: 'ADMIN-401', 403: 'ADMIN-403-3', 404: 'ADMIN-404-2', 429: 'ADMIN-429-1', 500: 'ADMIN-500', 503: 'ADMIN-503' }
const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }

/** The error body each product really sends (Jira ErrorCollection, Confluence v1/v2, Bitbucket, admin). */
export function errorBody (product: ProductKind, status: number, message: string): unknown {
  switch (product) {
    case ProductKind.Jira:
      return { errorMessages: [message], errors: {} }
    case ProductKind.ConfluenceV1:
      return { statusCode: status, data: { authorized: status !== 401 && status !== 403, valid: true, errors: [], successful: false }, message }
    case ProductKind.ConfluenceV2:
      return { errors: [{ status, code: (TITLES[status] ?? 'ERROR').toUpperCase().replace(/ /g, '_'), title: TITLES[status] ?? 'Error', detail: message }] }
    case ProductKind.Bitbucket:
      return { type: 'error', error: { message } }
    case ProductKind.Admin:
      return { errors: [{ id: randomUUID(), status: String(status), code: ADMIN_CODES[status] ?? `ADMIN-${status}`, title: TITLES[status] ?? 'Error', detail: message }] }
    default:
      return { error: TITLES[status] ?? 'Error', message, statusCode: status }
  }
}

export function sendError (reply: FastifyReply, product: ProductKind, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(errorBody(product, status, message))
}

export function unauthorizedMessage (product: ProductKind): string {
  switch (product) {
    case ProductKind.Jira: return 'Client must be authenticated to access this resource.'
    case ProductKind.Bitbucket: return 'Access token expired or invalid credentials.'
    case ProductKind.Admin: return 'Invalid API key or the key has expired.'
    default: return 'This request requires authentication.'
  }
}

// One helper decides page or fragment (Conventions #10): pages get the layout, htmx swaps get the partial.
import type { FastifyReply, FastifyRequest } from 'fastify'

export const LAYOUT = 'layouts/base.eta'

/** A fragment is an htmx request that is neither boosted nor a history restore. */
export function isFragment (request: FastifyRequest): boolean {
  const h = request.headers
  return h['hx-request'] === 'true' && h['hx-boosted'] !== 'true' && h['hx-history-restore-request'] !== 'true'
}

export interface PageModel {
  title: string
  [key: string]: unknown
}

export async function renderPage (reply: FastifyReply, page: string, model: PageModel): Promise<FastifyReply> {
  const html = await reply.viewAsync(page, model, { layout: LAYOUT })
  return reply.type('text/html; charset=utf-8').send(html)
}

/** Serves the full page or only its partial; the page must include() the same partial (one source per fragment). */
export async function renderPageOrFragment (
  request: FastifyRequest, reply: FastifyReply, page: string, partial: string, model: PageModel
): Promise<FastifyReply> {
  reply.header('Vary', 'HX-Request')
  if (isFragment(request)) {
    const html = await reply.viewAsync(partial, model)
    return reply.type('text/html; charset=utf-8').send(html)
  }
  return renderPage(reply, page, model)
}

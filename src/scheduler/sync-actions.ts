// What the page and the JSON API share: running Sync now / cancel for an operator and recording it in the operator log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SourceId } from '../connectors/connector.js'
import { UnknownSourceError } from './errors.js'
import type { CancelItem, SyncNowItem } from './scheduler.js'

export const SOURCE_IDS: readonly string[] = Object.values(SourceId)

export const SourceFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    site: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', enum: [...SOURCE_IDS] }
  }
} as const

export interface SourceFilter { site?: string, source?: SourceId }

interface OperatorLogLike {
  record: (entry: { action: string, username: string | null, ip: string | null, outcome: 'success' | 'failure', details?: Record<string, string | number | boolean | null> }) => Promise<void>
}

function operatorOf (request: FastifyRequest, reply: FastifyReply): string | null {
  const fromLocals = (reply as unknown as { locals?: { operator?: { username?: unknown } } }).locals?.operator?.username
  if (typeof fromLocals === 'string') return fromLocals
  const fromRequest = (request as unknown as { operator?: { username?: unknown } | null }).operator?.username
  return typeof fromRequest === 'string' ? fromRequest : null
}

async function record (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, action: string, filter: SourceFilter, detail: string): Promise<void> {
  const log = (app as unknown as { operatorLog?: OperatorLogLike }).operatorLog
  if (log === undefined) return
  await log.record({
    action,
    username: operatorOf(request, reply),
    ip: request.ip,
    outcome: 'success',
    details: { site: filter.site ?? 'all', source: filter.source ?? 'all', result: detail }
  })
}

function ensureKnown (app: FastifyInstance, filter: SourceFilter): void {
  if (app.scheduler.matching(filter.site, filter.source).length === 0) {
    throw new UnknownSourceError(`${filter.site ?? 'any site'} / ${filter.source ?? 'any source'}`)
  }
}

export async function startSync (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, filter: SourceFilter): Promise<SyncNowItem[]> {
  ensureKnown(app, filter)
  const items = await app.scheduler.syncNow(filter.site, filter.source)
  const started = items.filter((i) => i.status === 'started').length
  await record(app, request, reply, 'manual_sync', filter, `${started} of ${items.length} started`)
  return items
}

export async function cancelSync (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, filter: SourceFilter): Promise<CancelItem[]> {
  ensureKnown(app, filter)
  const items = await app.scheduler.cancel(filter.site, filter.source)
  await record(app, request, reply, 'sync_cancel', filter, `${items.filter((i) => i.cancelled).length} cancelled`)
  return items
}

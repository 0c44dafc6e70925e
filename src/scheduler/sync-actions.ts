// What the page and the JSON API share: running Sync now / cancel for an operator and recording it in the operator log.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { OperatorAction, Outcome } from '../operator-log/operator-action.js'
import { SourceId } from '../connectors/connector.js'
import { UnknownSourceError } from './errors.js'
import type { CancelItem, SyncNowItem } from './scheduler.js'

/** Not in OperatorAction's list; free-form names are allowed (ACTION_PATTERN). */
export const SYNC_CANCEL_ACTION = 'sync_cancel'

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

async function record (app: FastifyInstance, request: FastifyRequest, action: string, filter: SourceFilter, detail: string): Promise<void> {
  await app.operatorLog.record({
    action,
    username: request.operator?.username ?? null,
    ip: request.ip,
    outcome: Outcome.Success,
    details: { site: filter.site ?? 'all', source: filter.source ?? 'all', result: detail }
  })
}

function ensureKnown (app: FastifyInstance, filter: SourceFilter): void {
  if (app.scheduler.matching(filter.site, filter.source).length === 0) {
    throw new UnknownSourceError(`${filter.site ?? 'any site'} / ${filter.source ?? 'any source'}`)
  }
}

export async function startSync (app: FastifyInstance, request: FastifyRequest, filter: SourceFilter): Promise<SyncNowItem[]> {
  ensureKnown(app, filter)
  const items = await app.scheduler.syncNow(filter.site, filter.source)
  const started = items.filter((i) => i.status === 'started').length
  await record(app, request, OperatorAction.ManualSync, filter, `${started} of ${items.length} started`)
  return items
}

export async function cancelSync (app: FastifyInstance, request: FastifyRequest, filter: SourceFilter): Promise<CancelItem[]> {
  ensureKnown(app, filter)
  const items = await app.scheduler.cancel(filter.site, filter.source)
  await record(app, request, SYNC_CANCEL_ACTION, filter, `${items.filter((i) => i.cancelled).length} cancelled`)
  return items
}

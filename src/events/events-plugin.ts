// Builds the event store from config + the shared Db: field cipher, blind index, ingest and repositories.
// Indexes are ensured on ready (the TTL index is the retention control, so startup waits for it). Rollups an
// interrupted write may have left short are recounted in the background after ready and every stale period.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { createBlindIndex, createFieldCipher, type BlindIndex, type FieldCipher } from '../crypto/field-cipher.js'
import { createIdentitiesRepository, type IdentitiesRepository } from '../identities/identities-repository.js'
import { createTeamsRepository, type TeamsRepository } from '../teams/teams-repository.js'
import { ensureEventIndexes } from './event-indexes.js'
import { createEventsRepository, type EventsRepository } from './events-repository.js'
import { createIngest, type Ingest } from './ingest.js'
import { DEFAULT_STALE_AFTER_MS, repairRollups } from './rollup-repair.js'

export interface EventsHandle {
  ingest: Ingest
  repository: EventsRepository
}

declare module 'fastify' {
  interface FastifyInstance {
    events: EventsHandle
    identities: IdentitiesRepository
    teams: TeamsRepository
    fieldCipher: FieldCipher
    blindIndex: BlindIndex
  }
}

async function eventsPlugin (app: FastifyInstance): Promise<void> {
  const { config } = app
  const { db } = app.mongo
  const logger = app.log.child({ component: 'events' }) as unknown as Logger
  const cipher = createFieldCipher(config.encryptionKeys)
  const blindIndex = createBlindIndex(config.encryptionKeys)
  const identities = createIdentitiesRepository({ db, cipher, blindIndex, encryptDisplayNames: config.encryptDisplayNames, logger })
  const teams = createTeamsRepository({ db, logger })
  const ingest = createIngest({
    db, cipher, blindIndex, logger, identities, teams,
    retentionSeconds: config.retentionSeconds,
    encryptDisplayNames: config.encryptDisplayNames
  })
  app.decorate('events', { ingest, repository: createEventsRepository(db) })
  app.decorate('identities', identities)
  app.decorate('teams', teams)
  app.decorate('fieldCipher', cipher)
  app.decorate('blindIndex', blindIndex)
  app.addHook('onReady', async () => {
    const outcome = await ensureEventIndexes(db, logger, config.retentionSeconds)
    await Promise.all([identities.ensureIndexes(), teams.ensureIndexes()])
    logger.info({ ttl: outcome.eventsTtl.action, expireAfterSeconds: outcome.eventsTtl.expireAfterSeconds, keyFingerprint: cipher.keyFingerprint() }, 'event store indexes ready')
    repairTimer = setInterval(runRepair, DEFAULT_STALE_AFTER_MS)
    repairTimer.unref()
    runRepair()
  })
  let repairTimer: NodeJS.Timeout | null = null
  let repairing: Promise<unknown> | null = null
  function runRepair (): void {
    if (repairing !== null) return
    repairing = repairRollups(db, { logger })
      .catch((err: unknown) => { logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rollup repair failed; retried next period') })
      .finally(() => { repairing = null })
  }
  app.addHook('onClose', async () => {
    if (repairTimer !== null) clearInterval(repairTimer)
    await Promise.all([repairing, ingest.settled()])
  })
}

export default fp(eventsPlugin, { name: 'events', dependencies: ['config', 'mongo'] })

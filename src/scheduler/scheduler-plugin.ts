// The scheduler as a Fastify plugin: builds the connector registry for config.sites, starts timers in onReady
// (unless config.schedulerEnabled is false) and on close aborts runs and waits for their in-flight page.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Connector } from '../connectors/connector.js'
import { createClientFactory, type ClientFactoryOptions } from '../connectors/client-factory.js'
import { buildRegistry, createConnectors } from '../connectors/registry.js'
import { createDirectorySink } from '../connectors/directory/directory-sink.js'
import { createScheduler, type Scheduler } from './scheduler.js'
import { connectorsRoutes } from './connectors-routes.js'
import { syncApiRoutes } from './sync-api-routes.js'

declare module 'fastify' {
  interface FastifyInstance { scheduler: Scheduler }
}

export interface SchedulerPluginOptions {
  /** Replaces the registry's connectors (tests with fake connectors). */
  connectors?: readonly Connector[]
  /** Client settings, e.g. lifted rate limits against the simulator. */
  clients?: Omit<ClientFactoryOptions, 'logger'>
  holderId?: string
  leaseTtlMs?: number
}

async function schedulerPlugin (app: FastifyInstance, opts: SchedulerPluginOptions): Promise<void> {
  const { config } = app
  const clients = createClientFactory({ logger: app.log.child({ component: 'atlassian' }) as never, ...opts.clients })
  const connectors = opts.connectors ?? createConnectors(clients)
  const { events } = app
  const scheduler = createScheduler({
    db: app.mongo.db,
    entries: buildRegistry(config.sites, connectors),
    ingest: async (drafts) => await events.ingest(drafts),
    logger: app.log as never,
    directorySink: (site) => createDirectorySink(app.identities, app.teams, site.id),
    intervalMs: Math.max(1, Math.round(config.syncIntervalMinutes * 60_000)),
    ...(opts.holderId !== undefined ? { holderId: opts.holderId } : {}),
    ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {})
  })
  app.decorate('scheduler', scheduler)
  app.addHook('onReady', async () => {
    await scheduler.init()
    if (config.schedulerEnabled) scheduler.start()
  })
  // Registered after mongo's hook, so it runs before the client closes (onClose runs in reverse order).
  app.addHook('onClose', async () => {
    await scheduler.close()
    await clients.close()
  })
  await app.register(connectorsRoutes)
  await app.register(syncApiRoutes)
}

// auth before us: its global gate must cover the routes registered here.
export default fp(schedulerPlugin, { name: 'scheduler', dependencies: ['mongo', 'events', 'view', 'operator-log', 'auth'] })

// buildApp: the wiring diagram. Registers every plugin in dependency order; never listens (server.ts does).
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import helmet from '@fastify/helmet'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import type { Config } from './config/config.js'
import configPlugin from './config/config-plugin.js'
import { loggerOptions } from './logging/logger-options.js'
import mongoPlugin from './db/mongo-plugin.js'
import eventsPlugin from './events/events-plugin.js'
import { complianceRoutes } from './compliance/compliance-routes.js'
import viewPlugin from './web/view-plugin.js'
import { registerErrorHandlers } from './web/error-handler.js'
import { healthRoutes } from './web/health-routes.js'
import { homeRoutes } from './web/home-routes.js'
import operatorLogPlugin from './operator-log/operator-log-plugin.js'
import authPlugin from './auth/auth-plugin.js'
import schedulerPlugin, { type SchedulerPluginOptions } from './scheduler/scheduler-plugin.js'
import { publicDir } from './paths.js'

export interface BuildAppOptions {
  /** A ready pino logger (tests capture output through one); otherwise one is built from config. */
  loggerInstance?: Logger
  /** Scheduler wiring for tests and benchmarks (fake connectors, lifted rate limits). */
  scheduler?: SchedulerPluginOptions
}

export async function buildApp (config: Config, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance !== undefined
      ? { loggerInstance: options.loggerInstance }
      : { logger: loggerOptions(config.logLevel) }),
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    // Start-up may replay a large embedded-store journal or build indexes over a year of events.
    pluginTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: 'all', coerceTypes: 'array', allErrors: false } }
  }) as unknown as FastifyInstance

  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id)
  })

  await app.register(configPlugin, { config })
  await app.register(helmet, {
    // Same-origin scripts only: no inline scripts, no eval (htmx is configured accordingly in the layout).
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        ...(config.cookieSecure ? { upgradeInsecureRequests: [] } : {})
      }
    },
    // HSTS only where the deployment is HTTPS; plain-HTTP LANs set ATLASLENS_COOKIE_SECURE=false.
    hsts: config.cookieSecure,
    crossOriginEmbedderPolicy: false
  })
  await app.register(formbody)
  await app.register(fastifyStatic, { root: publicDir, prefix: '/assets/', index: false, maxAge: '1h' })
  await app.register(mongoPlugin)
  await app.register(eventsPlugin)
  // Templates are cached in every environment; there is no NODE_ENV switch.
  await app.register(viewPlugin, { production: true })
  registerErrorHandlers(app)

  await app.register(healthRoutes)
  // Domain plugins: one line each.
  await app.register(operatorLogPlugin)
  // Access: every route registered anywhere is gated by its global onRequest hook (see src/auth/public-routes.ts).
  await app.register(authPlugin)
  await app.register(homeRoutes)
  await app.register(complianceRoutes)
  await app.register(schedulerPlugin, options.scheduler ?? {})

  return app
}

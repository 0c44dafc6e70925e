// Eta through @fastify/view: autoescape on, explicit production flag (never NODE_ENV), views/ as the root.
import fp from 'fastify-plugin'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyInstance } from 'fastify'
import { viewsDir } from '../paths.js'

async function viewPlugin (app: FastifyInstance, opts: { production: boolean }): Promise<void> {
  const eta = new Eta({ views: viewsDir, autoEscape: true, cache: opts.production })
  await app.register(view, {
    engine: { eta },
    templates: viewsDir,
    production: opts.production,
    defaultContext: { throwawaySecrets: app.config.throwawaySecrets }
  })
}

export default fp(viewPlugin, { name: 'view', dependencies: ['config'] })

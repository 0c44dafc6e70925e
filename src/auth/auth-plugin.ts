// Access control for the whole app: cookie/Bearer JWT gate on every non-public route, CSRF on state changes,
// sign-in throttling, and the login/logout/token routes.
import { createHmac } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import jwt from '@fastify/jwt'
import csrf from '@fastify/csrf-protection'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { type AdminsRepository, createAdminsRepository } from './admins-repository.js'
import { NotAuthenticatedError } from './errors.js'
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js'
import { loginRoutes } from './login-routes.js'
import { isPublicRoute } from './public-routes.js'
import { safeNextPath } from './safe-next.js'
import { clearCookieOptions, CSRF_COOKIE, SESSION_COOKIE } from './session-cookie.js'
import { isFragment } from '../web/render.js'
import { OperatorAction, Outcome } from '../operator-log/operator-action.js'

/** The authenticated admin of a request. */
export interface Operator {
  id: string
  username: string
  tokenExpiresAt: Date
  /** Bearer requests come from scripts and need no CSRF token; cookie requests do. */
  via: 'cookie' | 'bearer'
}

/** What a session token carries: who, and which token version it was issued under. */
export interface SessionClaims {
  sub: string
  ver: number
  iat?: number
  exp?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    admins: AdminsRepository
    loginThrottle: LoginThrottle
    /** Verifies the request's token (Bearer header, else session cookie); null when absent or not acceptable. */
    authenticate: (request: FastifyRequest) => Promise<Operator | null>
  }
  interface FastifyRequest {
    operator: Operator | null
  }
  interface FastifyContextConfig {
    /** false: authenticated GETs of this route are not recorded as views (e.g. status polling). */
    operatorLog?: boolean
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const VIEW_COALESCE_MS = 60_000
const EMAIL = /[^\s/?&=#@]+@[^\s/?&=#@]+\.[A-Za-z]{2,}/g

async function authPlugin (app: FastifyInstance): Promise<void> {
  const { config } = app
  const admins = createAdminsRepository(app.mongo.db)
  await admins.ensureIndexes()
  app.decorate('admins', admins)

  // Distinct keys per purpose, derived from the one configured secret.
  await app.register(cookie, { secret: derive(config.jwtSecret, 'cookie-signing') })
  await app.register(jwt, {
    secret: config.jwtSecret,
    // HS256 only, both ways: "none", RS*/ES* (key-confusion) and other HMAC sizes are refused.
    sign: { algorithm: 'HS256', expiresIn: config.sessionTtlSeconds },
    verify: { algorithms: ['HS256'] }
  })
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: config.cookieSecure, signed: true },
    getToken: (request: FastifyRequest) => {
      const body = request.body as { _csrf?: unknown } | undefined
      if (typeof body?._csrf === 'string') return body._csrf
      const header = request.headers['x-csrf-token']
      return typeof header === 'string' ? header : undefined
    }
  } as never)
  await app.register(rateLimit, { global: false })
  app.decorate('loginThrottle', createLoginThrottle(app))

  app.decorateRequest('operator', null)

  app.decorate('authenticate', async (request: FastifyRequest): Promise<Operator | null> => {
    let token: string | undefined
    let via: Operator['via'] = 'cookie'
    const authorization = request.headers.authorization
    if (authorization !== undefined) {
      // A present but malformed header never falls back to the cookie.
      const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization)
      if (m === null) return null
      token = m[1]
      via = 'bearer'
    } else {
      token = request.cookies[SESSION_COOKIE]
    }
    if (token === undefined || token === '') return null
    let claims: SessionClaims
    try {
      claims = app.jwt.verify<SessionClaims>(token)
    } catch {
      return null
    }
    if (typeof claims.sub !== 'string' || typeof claims.ver !== 'number' || typeof claims.exp !== 'number') return null
    const admin = await admins.findById(claims.sub)
    if (admin === null || admin.disabled || admin.token_version !== claims.ver) return null
    return { id: claims.sub, username: admin.username, tokenExpiresAt: new Date(claims.exp * 1000), via }
  })

  // The gate. Global, so routes added later by any plugin are covered without opting in.
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request.method, request.routeOptions.url)) return
    const operator = await app.authenticate(request)
    if (operator === null) return deny(request, reply)
    request.operator = operator
    if (!request.url.startsWith('/api/')) {
      // For the layout: the CSRF token goes into <body hx-headers> and every form; the name into the nav.
      // (@fastify/view merges reply.locals into every render but does not type it.)
      const withLocals = reply as unknown as { locals: Record<string, unknown> | null }
      withLocals.locals = { ...withLocals.locals, csrfToken: reply.generateCsrf(), operator: { username: operator.username } }
    }
  })

  // CSRF at preValidation: the body is parsed by then, and schema validation (removeAdditional) has not yet
  // stripped the `_csrf` field. Bearer requests are exempt: a browser never attaches that header cross-site.
  app.addHook('preValidation', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (SAFE_METHODS.has(request.method)) return done()
    if ((request.operator ?? null)?.via === 'bearer') return done()
    if (request.method === 'POST' && request.routeOptions.url === '/api/v1/auth/token') return done()
    app.csrfProtection(request, reply, done)
  })

  // "Who looked at this data": every successful authenticated read is recorded, unless the route opts out.
  // The same operator re-reading the same URL within a minute (htmx polling, reloads) is recorded once.
  const lastViews = new Map<string, number>()
  app.addHook('onResponse', async (request, reply) => {
    // Routes registered before this plugin (health, assets) never had the decorator: undefined, not null.
    const operator = request.operator ?? null
    if (operator === null || request.method !== 'GET' || reply.statusCode >= 400) return
    if (request.routeOptions.config?.operatorLog === false) return
    const viewKey = `${operator.id} ${request.url}`
    const now = Date.now()
    if (now - (lastViews.get(viewKey) ?? 0) < VIEW_COALESCE_MS) return
    if (lastViews.size >= 10_000) lastViews.clear()
    lastViews.set(viewKey, now)
    try {
      await app.operatorLog.record({
        action: OperatorAction.View,
        username: operator.username,
        ip: request.ip,
        outcome: Outcome.Success,
        details: {
          route: request.routeOptions.url ?? '',
          path: request.url.replace(EMAIL, '[email]'),
          via: operator.via,
          ...(isFragment(request) ? { fragment: true } : {})
        }
      })
    } catch (err) {
      request.log.error({ err }, 'operator log write failed')
    }
  })

  async function deny (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // A stale or forged session cookie is removed so the browser stops sending it.
    if (request.cookies[SESSION_COOKIE] !== undefined) reply.clearCookie(SESSION_COOKIE, clearCookieOptions(config))
    if (request.url.startsWith('/api/')) {
      reply.header('WWW-Authenticate', 'Bearer')
      throw new NotAuthenticatedError()
    }
    const htmx = request.headers['hx-request'] === 'true'
    // htmx asks for fragments: come back to the page the operator was on, not to the fragment URL.
    const next = htmx ? currentPagePath(request) : request.method === 'GET' ? safeNextPath(request.url) : '/'
    const location = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`
    if (htmx) {
      // XHR would follow a 302 and swap the login page into a fragment target; htmx acts on HX-Redirect instead.
      return reply.code(401).header('HX-Redirect', location).send()
    }
    return reply.redirect(location, request.method === 'GET' || request.method === 'HEAD' ? 302 : 303)
  }

  await app.register(loginRoutes)
}

function currentPagePath (request: FastifyRequest): string {
  const current = request.headers['hx-current-url']
  if (typeof current !== 'string') return '/'
  try {
    const url = new URL(current)
    return safeNextPath(url.pathname + url.search)
  } catch {
    return '/'
  }
}

function derive (secret: string, purpose: string): string {
  return createHmac('sha256', secret).update(`atlaslens:${purpose}`).digest('base64url')
}

export default fp(authPlugin, { name: 'auth', dependencies: ['mongo', 'view', 'operator-log'] })

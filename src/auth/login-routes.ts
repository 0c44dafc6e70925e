// Sign-in and sign-out: the login form, the API token endpoint, /api/v1/me, logout and "log out everywhere".
// There is deliberately no route that creates an account: operators come only from bin/seed-admin.
import { createHmac } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminDocument } from './admins-repository.js'
import type { SessionClaims } from './auth-plugin.js'
import { LOGIN_FAILED_MESSAGE, LoginFailedError, NotAuthenticatedError, TooManyAttemptsError } from './errors.js'
import { verifyPassword } from './passwords.js'
import { safeNextPath } from './safe-next.js'
import { clearCookieOptions, SESSION_COOKIE, sessionCookieOptions } from './session-cookie.js'
import { usernameProblem } from './usernames.js'
import { OperatorAction, Outcome } from '../operator-log/operator-action.js'
import { renderPage } from '../web/render.js'

const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2048 })) })
const LoginForm = Type.Object({
  username: Type.String({ maxLength: 200 }),
  password: Type.String({ maxLength: 1024 }),
  next: Type.Optional(Type.String({ maxLength: 2048 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})
const CsrfOnlyForm = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const TokenRequest = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 200 }),
  password: Type.String({ minLength: 1, maxLength: 1024 })
}, { additionalProperties: false })
const TokenResponse = Type.Object({ token: Type.String(), expires_at: Type.String({ format: 'date-time' }) })
const MeResponse = Type.Object({ username: Type.String(), token_expires_at: Type.String({ format: 'date-time' }) })

type LoginForm = Static<typeof LoginForm>
type TokenRequest = Static<typeof TokenRequest>

type Channel = 'form' | 'api'
type Attempt = { ok: true, admin: AdminDocument } | { ok: false, retryAfterSeconds: number | null }

export const loginRoutes: FastifyPluginAsync = async (app) => {
  const { admins, config, loginThrottle, operatorLog } = app

  /**
   * Unknown usernames are not stored as typed (people type passwords into the username field): only a short
   * keyed fingerprint, enough to see the same string being tried repeatedly, not enough to recover it.
   */
  const fingerprint = (attempted: string): string =>
    createHmac('sha256', config.jwtSecret).update(`login-attempt:${attempted.trim().toLowerCase()}`).digest('hex').slice(0, 8)

  async function attempt (request: FastifyRequest, username: string, password: string, channel: Channel): Promise<Attempt> {
    const wait = await loginThrottle.blockedFor(request)
    if (wait !== null) {
      request.log.warn({ channel }, 'sign-in throttled')
      return { ok: false, retryAfterSeconds: wait }
    }
    const admin = usernameProblem(username.trim()) === null ? await admins.findByUsername(username) : null
    // Always one bcrypt comparison (the dummy hash for unknown users): equal timing either way.
    const passwordOk = await verifyPassword(password, admin?.password_hash ?? null)
    if (admin === null || !passwordOk || admin.disabled) {
      await loginThrottle.recordFailure(request)
      await operatorLog.record({
        action: OperatorAction.LoginFailed,
        username: admin?.username ?? null,
        ip: request.ip,
        outcome: Outcome.Failure,
        details: {
          channel,
          reason: admin === null ? 'unknown_username' : passwordOk ? 'disabled' : 'wrong_password',
          ...(admin === null ? { attempted: `#${fingerprint(username)}` } : {})
        }
      })
      return { ok: false, retryAfterSeconds: null }
    }
    await admins.recordLogin(admin._id)
    await operatorLog.record({
      action: channel === 'form' ? OperatorAction.Login : OperatorAction.TokenIssued,
      username: admin.username,
      ip: request.ip,
      outcome: Outcome.Success,
      details: { channel }
    })
    return { ok: true, admin }
  }

  function issueToken (admin: AdminDocument): { token: string, expiresAt: Date } {
    const claims: SessionClaims = { sub: admin._id.toHexString(), ver: admin.token_version }
    const token = app.jwt.sign(claims)
    const exp = app.jwt.decode<SessionClaims>(token)?.exp ?? 0
    return { token, expiresAt: new Date(exp * 1000) }
  }

  async function renderLogin (reply: FastifyReply, next: string, error: string | null): Promise<FastifyReply> {
    return renderPage(reply, 'pages/login.eta', {
      title: 'Sign in',
      next: next === '/' ? '' : next,
      loginCsrfToken: reply.generateCsrf(),
      error
    })
  }

  app.get<{ Querystring: Static<typeof LoginQuery> }>('/login', { schema: { querystring: LoginQuery } }, async (request, reply) => {
    const next = safeNextPath(request.query.next)
    // Already signed in: go where the operator wanted to go.
    if (await app.authenticate(request) !== null) return reply.redirect(next, 302)
    reply.header('Cache-Control', 'no-store')
    return renderLogin(reply, next, null)
  })

  app.post<{ Body: LoginForm }>('/login', { schema: { body: LoginForm } }, async (request, reply) => {
    const next = safeNextPath(request.body.next)
    const result = await attempt(request, request.body.username, request.body.password, 'form')
    reply.header('Cache-Control', 'no-store')
    if (!result.ok) {
      if (result.retryAfterSeconds !== null) {
        reply.code(429).header('Retry-After', String(result.retryAfterSeconds))
        return renderLogin(reply, next, 'Too many failed sign-in attempts. Wait a while and try again.')
      }
      reply.code(401)
      return renderLogin(reply, next, LOGIN_FAILED_MESSAGE)
    }
    const { token } = issueToken(result.admin)
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(config))
    return reply.redirect(next, 303)
  })

  app.post<{ Body: TokenRequest }>('/api/v1/auth/token', {
    schema: { body: TokenRequest, response: { 200: TokenResponse } }
  }, async (request, reply) => {
    const result = await attempt(request, request.body.username, request.body.password, 'api')
    reply.header('Cache-Control', 'no-store')
    if (!result.ok) {
      if (result.retryAfterSeconds !== null) {
        reply.header('Retry-After', String(result.retryAfterSeconds))
        throw new TooManyAttemptsError(String(result.retryAfterSeconds))
      }
      throw new LoginFailedError()
    }
    const { token, expiresAt } = issueToken(result.admin)
    return { token, expires_at: expiresAt.toISOString() }
  })

  app.get('/api/v1/me', {
    schema: { response: { 200: MeResponse } },
    config: { operatorLog: false }
  }, async (request) => {
    const operator = request.operator
    if (operator === null) throw new NotAuthenticatedError()
    return { username: operator.username, token_expires_at: operator.tokenExpiresAt.toISOString() }
  })

  app.post('/logout', { schema: { body: CsrfOnlyForm } }, async (request, reply) => {
    reply.clearCookie(SESSION_COOKIE, clearCookieOptions(config))
    await operatorLog.record({
      action: OperatorAction.Logout, username: request.operator?.username ?? null, ip: request.ip, outcome: Outcome.Success
    })
    return reply.redirect('/login', 303)
  })

  app.post('/logout-everywhere', { schema: { body: CsrfOnlyForm } }, async (request, reply) => {
    const operator = request.operator
    if (operator === null) throw new NotAuthenticatedError()
    const admin = await admins.findById(operator.id)
    // Every token carries the version it was issued under; bumping it invalidates all of them at once.
    if (admin !== null) await admins.bumpTokenVersion(admin._id)
    reply.clearCookie(SESSION_COOKIE, clearCookieOptions(config))
    await operatorLog.record({
      action: OperatorAction.LogoutEverywhere, username: operator.username, ip: request.ip, outcome: Outcome.Success
    })
    return reply.redirect('/login', 303)
  })
}

// Authenticated requests for tests: create an operator straight through the repository, sign in through the real
// login form, and hand back the session cookie, a CSRF token for it, and a Bearer token.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { hashPassword } from '../../src/auth/passwords.js'
import { CSRF_COOKIE, SESSION_COOKIE } from '../../src/auth/session-cookie.js'

export const DEFAULT_ADMIN = Object.freeze({ username: 'test-admin', password: 'correct horse battery staple' })

export interface AdminSession {
  username: string
  /** A complete Cookie header value: session + CSRF secret cookies. */
  cookie: string
  /** Send as `_csrf` form field or `x-csrf-token` header with cookie-authenticated POSTs. */
  csrfToken: string
  /** A session token for `Authorization: Bearer` (same claims and signer as POST /api/v1/auth/token). */
  bearer: string
}

export async function createAdmin (
  app: FastifyInstance, username: string = DEFAULT_ADMIN.username, password: string = DEFAULT_ADMIN.password
): Promise<{ username: string, password: string }> {
  await app.admins.create(username, await hashPassword(password))
  return { username, password }
}

/** Cookies set by a response, as "name=value" pairs (attributes dropped). */
export function setCookies (res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const c of res.cookies as Array<{ name: string, value: string }>) out[c.name] = c.value
  return out
}

/** GET /login for a login CSRF token and its secret cookie. */
export async function loginForm (app: FastifyInstance, remoteAddress = '127.0.0.1'): Promise<{ csrfCookie: string, csrfToken: string }> {
  const res = await app.inject({ method: 'GET', url: '/login', remoteAddress })
  const csrfCookie = setCookies(res)[CSRF_COOKIE]
  const m = /name="_csrf" value="([^"]+)"/.exec(res.body)
  if (csrfCookie === undefined || m === null) throw new Error(`GET /login gave no CSRF token (status ${res.statusCode})`)
  return { csrfCookie: `${CSRF_COOKIE}=${csrfCookie}`, csrfToken: m[1] as string }
}

/** Signs in through the real login form; creates the admin first unless `create` is false. */
export async function loginAs (
  app: FastifyInstance,
  username: string = DEFAULT_ADMIN.username,
  password: string = DEFAULT_ADMIN.password,
  options: { create?: boolean } = {}
): Promise<AdminSession> {
  if (options.create !== false && await app.admins.findByUsername(username) === null) await createAdmin(app, username, password)
  const form = await loginForm(app)
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: form.csrfCookie },
    payload: { username, password, _csrf: form.csrfToken }
  })
  const session = setCookies(res)[SESSION_COOKIE]
  if (res.statusCode !== 303 || session === undefined) throw new Error(`login as ${username} failed: ${res.statusCode}`)
  const cookie = `${SESSION_COOKIE}=${session}; ${form.csrfCookie}`
  // The Bearer token is minted by the app's own signer (as POST /api/v1/auth/token does) to save a second bcrypt
  // comparison per helper call; test/auth covers the endpoint itself.
  const admin = await app.admins.findByUsername(username)
  if (admin === null) throw new Error(`no admin ${username}`)
  const bearer = app.jwt.sign({ sub: admin._id.toHexString(), ver: admin.token_version })
  return { username, cookie, csrfToken: form.csrfToken, bearer }
}

// The session cookie: HttpOnly, SameSite=Strict, Path=/, Secure unless the deployment is plain-HTTP LAN.
import type { CookieSerializeOptions } from '@fastify/cookie'
import type { Config } from '../config/config.js'

export const SESSION_COOKIE = 'atlaslens_session'
export const CSRF_COOKIE = 'atlaslens_csrf'

export function sessionCookieOptions (config: Pick<Config, 'cookieSecure' | 'sessionTtlSeconds'>): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: config.cookieSecure, maxAge: config.sessionTtlSeconds }
}

export function clearCookieOptions (config: Pick<Config, 'cookieSecure'>): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: config.cookieSecure }
}

// The explicit allow-list of routes reachable without a token. Everything else is gated.
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /login', 'HEAD /login', 'POST /login',
  'POST /api/v1/auth/token',
  'GET /healthz', 'HEAD /healthz', 'GET /readyz', 'HEAD /readyz',
  'GET /favicon.ico', 'HEAD /favicon.ico'
])

/** Static assets (CSS, htmx, icons) are public; nothing under /assets/ is data. */
export const PUBLIC_PREFIX = '/assets/'

/** Matched on the route pattern Fastify resolved, never on the raw URL (so "/assets/../x" cannot slip through). */
export function isPublicRoute (method: string, routeUrl: string | undefined): boolean {
  if (routeUrl === undefined) return false
  if (PUBLIC_ROUTES.has(`${method} ${routeUrl}`)) return true
  return (method === 'GET' || method === 'HEAD') && routeUrl.startsWith(PUBLIC_PREFIX)
}

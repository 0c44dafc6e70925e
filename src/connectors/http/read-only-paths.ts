// What the read-only client may address: paths under its base URL, and POST only to exact allow-listed searches.
import { CrossOriginError, InvalidClientOptionsError, InvalidPathError, WriteForbiddenError } from './errors.js'

/**
 * The only POST requests the client can send: documented read-only searches (API-NOTES §5a, §5b, §5c, §7).
 * Matched by exact string, before any I/O: no query string, no trailing slash, no encoding variants.
 */
export const READ_ONLY_POST_PATHS = Object.freeze([
  '/rest/api/3/search/jql',
  '/rest/api/3/changelog/bulkfetch',
  '/rest/api/3/worklog/list',
  '/wiki/api/v2/users-bulk'
] as const)
export type ReadOnlyPostPath = typeof READ_ONLY_POST_PATHS[number]

const allowedPost: ReadonlySet<string> = new Set(READ_ONLY_POST_PATHS)

export interface BaseTarget {
  url: URL
  /** Base path without a trailing slash ('' for an origin, '/2.0', '/ex/jira/{cloudId}'). */
  prefix: string
}

export function parseBaseUrl (baseUrl: string): BaseTarget {
  let url: URL
  try { url = new URL(baseUrl) } catch { throw new InvalidClientOptionsError('baseUrl is not an absolute URL') }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidClientOptionsError('baseUrl must be http(s)')
  if (url.username || url.password) throw new InvalidClientOptionsError('baseUrl must not carry credentials')
  if (url.search || url.hash) throw new InvalidClientOptionsError('baseUrl must not have a query or fragment')
  checkPathname(url.pathname, 'baseUrl')
  return { url, prefix: url.pathname.replace(/\/+$/, '') }
}

// Dot segments, encoded dots/slashes/backslashes and control characters could make a server address
// something other than what the allow-list or the prefix check saw.
function checkPathname (pathname: string, shown: string): void {
  if (/[\\\u0000-\u001f\u007f\s#]/.test(pathname)) throw new InvalidPathError(shown, 'backslash, whitespace, control character or fragment')
  if (/%(2e|2f|5c|00)/i.test(pathname)) throw new InvalidPathError(shown, 'encoded dot, slash, backslash or NUL')
  if (pathname.split('/').some((s) => s === '.' || s === '..')) throw new InvalidPathError(shown, 'dot segment')
  if (pathname.startsWith('//')) throw new InvalidPathError(shown, 'protocol-relative path')
}

function shorten (s: string): string {
  const pathOnly = s.split('?')[0] ?? ''
  return JSON.stringify(pathOnly.length > 120 ? pathOnly.slice(0, 120) + '…' : pathOnly)
}

/**
 * A path relative to the base URL ('/rest/api/3/...', '/repositories/ws' under '/2.0'), optionally with a query,
 * or an absolute URL from a paging link: accepted only on the base URL's origin and under its path prefix,
 * so credentials never travel to another host or API.
 */
export function resolveTarget (base: BaseTarget, pathOrUrl: string): URL {
  if (typeof pathOrUrl !== 'string' || pathOrUrl.length === 0) throw new InvalidPathError('""', 'empty')
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    let url: URL
    try { url = new URL(pathOrUrl) } catch { throw new InvalidPathError(shorten(pathOrUrl), 'not a URL') }
    if (url.origin !== base.url.origin || url.username || url.password) throw new CrossOriginError(url.host || url.protocol)
    // Check the path as written too: the URL parser decodes nothing, but it does fold dot segments away.
    const afterScheme = pathOrUrl.slice(pathOrUrl.indexOf(':') + 1).replace(/^[/\\]*/, '')
    const authorityEnd = afterScheme.search(/[/?#\\]/)
    const rest = authorityEnd < 0 ? '' : afterScheme.slice(authorityEnd)
    const rawPath = rest.startsWith('?') || rest.startsWith('#') ? '/' : (rest.split(/[?#]/)[0] ?? '')
    checkPathname(rawPath, shorten(url.pathname))
    checkUnderPrefix(base, url)
    url.hash = ''
    return url
  }
  if (!pathOrUrl.startsWith('/')) throw new InvalidPathError(shorten(pathOrUrl), 'must start with "/"')
  const q = pathOrUrl.indexOf('?')
  const pathname = q >= 0 ? pathOrUrl.slice(0, q) : pathOrUrl
  checkPathname(pathname, shorten(pathname))
  if (q >= 0 && pathOrUrl.includes('#', q)) throw new InvalidPathError(shorten(pathname), 'fragment')
  const url = new URL(base.url.origin + base.prefix + pathOrUrl)
  if (url.origin !== base.url.origin) throw new CrossOriginError(url.host)
  checkUnderPrefix(base, url)
  return url
}

function checkUnderPrefix (base: BaseTarget, url: URL): void {
  if (base.prefix !== '' && url.pathname !== base.prefix && !url.pathname.startsWith(base.prefix + '/')) {
    throw new CrossOriginError(url.host + ' outside ' + base.prefix)
  }
}

/** Throws unless path is exactly one of READ_ONLY_POST_PATHS. */
export function assertReadOnlyPost (path: string): asserts path is ReadOnlyPostPath {
  if (typeof path !== 'string' || !allowedPost.has(path)) throw new WriteForbiddenError('POST', shorten(String(path)))
}

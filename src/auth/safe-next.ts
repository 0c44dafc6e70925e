// Where to send an operator after login: same-origin paths only (no open redirect through ?next=).
const FALLBACK = '/'
const PROBE_ORIGIN = 'http://atlaslens.invalid'

/**
 * Returns `raw` when it is a plain same-origin path, otherwise "/". Every percent-decoding layer is checked,
 * because some clients and proxies decode before the browser resolves the Location header.
 */
export function safeNextPath (raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return FALLBACK
  let layer = raw
  for (let i = 0; i < 4; i++) {
    if (!isPlainPath(layer)) return FALLBACK
    let decoded: string
    try {
      decoded = decodeURIComponent(layer)
    } catch {
      return FALLBACK
    }
    if (decoded === layer) break
    layer = decoded
  }
  if (layer !== raw && !isPlainPath(layer)) return FALLBACK
  let url: URL
  try {
    url = new URL(raw, PROBE_ORIGIN)
  } catch {
    return FALLBACK
  }
  if (url.origin !== PROBE_ORIGIN) return FALLBACK
  // Never bounce back to the login page itself.
  if (url.pathname === '/login' || url.pathname === '/logout') return FALLBACK
  return url.pathname + url.search + url.hash
}

function isPlainPath (value: string): boolean {
  // "/" then anything but a second "/" or "\": "//host" and "/\host" are protocol-relative in browsers.
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return false
  // Backslashes and control characters (tabs/newlines are stripped by browsers, turning "/\t/evil" into "//evil").
  // eslint-disable-next-line no-control-regex
  return !/[\\\u0000-\u001f\u007f]/.test(value)
}

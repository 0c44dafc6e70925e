// Turns any thrown value into a short message safe to store in connector_state and show on the connectors page:
// no credentials, no URL query strings, no Authorization values, no emails.

const MAX_LENGTH = 300

/** Strings that must never appear, whatever the error says (tokens, keys, emails of the site config). */
export function sanitizeErrorMessage (err: unknown, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let text = messageOf(err)
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= 4) text = text.split(secret).join('[redacted]')
  }
  text = text
    // user:password@ in URLs
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1')
    // query strings and fragments carry tokens, cursors and emails
    .replace(/(https?:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, '$1')
    .replace(/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/\b(authorization|api[_-]?key|token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1$2[redacted]')
    .replace(/[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[a-z]{2,}/gi, '[email]')
    // long opaque strings (tokens, JWTs, base64 credentials); URL paths are kept readable
    .replace(/\S{40,}/g, (word) => /^https?:\/\//i.test(word) ? word : word.replace(/[A-Za-z0-9_\-+/=.]{40,}/g, '[redacted]'))
    .replace(/[\r\n\t]+/g, ' ')
    .trim()
  if (text === '') text = 'Unknown error'
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text
}

function messageOf (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const prefix = typeof code === 'string' && !err.message.includes(code) ? `${code}: ` : ''
    return prefix + err.message
  }
  if (typeof err === 'string') return err
  return 'Unknown error'
}

// Bitbucket commit authors arrive as a raw "Name <email>" string: keep the name, hand the email to encryption.

const RAW_AUTHOR = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/
export const EMAIL_PATTERN = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/
const EMAIL_GLOBAL = new RegExp(EMAIL_PATTERN.source, 'g')

export interface ParsedAuthor {
  name: string | null
  email: string | null
}

export function parseRawAuthor (raw: string | null | undefined): ParsedAuthor {
  if (typeof raw !== 'string' || raw.trim() === '') return { name: null, email: null }
  const m = RAW_AUTHOR.exec(raw)
  if (m) return { name: scrubEmails(m[1] as string).trim() || null, email: m[2] as string }
  const bare = raw.trim()
  if (looksLikeEmail(bare)) return { name: null, email: bare }
  return { name: scrubEmails(bare), email: null }
}

const WHOLE_EMAIL = new RegExp(`^${EMAIL_PATTERN.source}$`)

export function looksLikeEmail (value: string): boolean {
  return value.includes('@') && WHOLE_EMAIL.test(value.trim())
}

export function containsEmail (value: string): boolean {
  return value.includes('@') && EMAIL_PATTERN.test(value)
}

/** Free text (summaries, object names, change values) must never carry a plaintext email into storage. */
export function scrubEmails (value: string): string {
  return value.includes('@') ? value.replace(EMAIL_GLOBAL, '[email]') : value
}

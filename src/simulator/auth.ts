// Credential checks per product: Basic email:token for Jira/Confluence/Bitbucket (Bitbucket also takes the
// token as a Bearer access token), Bearer org API key for the admin API. Comparisons are constant-time.
import { timingSafeEqual } from 'node:crypto'
import { ProductKind } from './products.js'
import type { SimCredentials } from './context.js'

function same (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function basic (header: string, creds: SimCredentials): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(header)
  if (m === null) return false
  return same(Buffer.from(m[1]!, 'base64').toString('utf8'), `${creds.email}:${creds.token}`)
}

function bearer (header: string, secret: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header)
  return m !== null && same(m[1]!, secret)
}

export function authorized (product: ProductKind, header: string | undefined, creds: SimCredentials): boolean {
  if (header === undefined) return false
  switch (product) {
    case ProductKind.Jira:
    case ProductKind.ConfluenceV1:
    case ProductKind.ConfluenceV2:
      return basic(header, creds)
    case ProductKind.Bitbucket:
      return basic(header, creds) || bearer(header, creds.token)
    case ProductKind.Admin:
      return bearer(header, creds.orgKey)
    default:
      return false
  }
}

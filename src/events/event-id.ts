// Deterministic event ids: re-reading an overlapping page yields the same _id, so the upsert is a no-op.
import { createHash } from 'node:crypto'

export interface EventKey {
  site: string
  product: string
  /** Included because one product is read by several sources (audit vs activity) with overlapping id spaces. */
  source: string
  /** Must carry a version/history id where the source has one: each distinct change is its own event. */
  sourceRecordId: string
}

/** `<product>:<128-bit SHA-256 prefix, base64url>` — short, index-friendly, and readable by product. */
export function eventId (key: EventKey): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([key.site, key.product, key.source, key.sourceRecordId]))
    .digest('base64url')
    .slice(0, 22)
  return `${key.product}:${digest}`
}

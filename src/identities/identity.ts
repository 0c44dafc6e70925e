// The identity document (collection `identities`): one per Atlassian account id, shared by every product.
import type { Product } from '../events/event.js'

export interface IdentityDoc {
  /** The Atlassian account id (or `unlinked:<hmac>` for raw commit authors with no account). */
  _id: string
  /** Plaintext (the documented deviation) unless strict mode is on; then null and display_name_enc is set. */
  display_name: string | null
  display_name_enc?: string | null
  /** Strict mode: keyed HMAC of the name, so a batch can tell an unchanged name without decrypting. */
  display_name_hmac?: string | null
  /** Case/accent-folded sort key (nameSortKey); absent in strict mode (sorting moves into the application). */
  name_sort?: string | null
  /** When the stored name was reported; an older report never overwrites a newer name. */
  display_name_seen_at?: Date
  account_type?: string | null
  account_status?: string | null
  /** Fernet token of the email; never plaintext. */
  email_enc?: string | null
  /** Keyed HMAC of the normalised email (blind index) for exact lookups. */
  email_hmac?: string | null
  /** Fingerprint of the key behind email_hmac, so rotate-key knows which indexes to recompute. */
  email_hmac_key?: string | null
  /** Per-product ids, e.g. { bitbucket: '{uuid}' }. */
  product_ids?: Partial<Record<Product, string>>
  sites?: string[]
  first_seen: Date
  last_seen: Date
  last_active?: Partial<Record<Product, Date>>
  updated_at: Date
}

/** Case- and accent-insensitive sort key: NFKC folds width variants, NFD + mark removal folds accents (Ádám → adam). */
export function nameSortKey (name: string): string {
  return name.normalize('NFKC').normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC').toLowerCase().trim()
}

// Field-level encryption for personal identifiers: Fernet with key rotation (first key encrypts, every key
// decrypts) and a keyed blind index so an exact email can be found without decrypting every identity.
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { CryptoNoKeyError, CryptoTokenInvalidError } from './errors.js'
import { decodeToken, encodeToken, isFernetKey, isSignedBy, parseFernetKey, type FernetKey } from './fernet-token.js'

export { isFernetKey }

export function generateFernetKey (): string {
  return randomBytes(32).toString('base64url') + '='
}

/** First 8 bytes of SHA-256 over the raw key, hex: identifies a key in reports without revealing it. */
export function keyFingerprint (key: string): string {
  return createHash('sha256').update(Buffer.from(key, 'base64url')).digest('hex').slice(0, 16)
}

export interface FieldCipher {
  encrypt: (plaintext: string) => string
  /** Tries every configured key; throws ATL_CRYPTO_TOKEN_INVALID when none verifies the token. */
  decrypt: (token: string) => string
  /** Fingerprint of the key that encrypts (the first). */
  keyFingerprint: () => string
  keyFingerprints: () => string[]
  /** True when the token is not signed by the current key (rotate-key must re-encrypt it). */
  needsRotation: (token: string) => boolean
  /** True when the string is a well-formed token signed by any configured key. */
  isToken: (value: unknown) => boolean
}

interface LoadedKey {
  fernet: FernetKey
  fingerprint: string
}

function loadKeys (keys: readonly string[]): LoadedKey[] {
  if (keys.length === 0) throw new CryptoNoKeyError()
  return keys.map((key, i) => ({ fernet: parseFernetKey(key, i + 1), fingerprint: keyFingerprint(key) }))
}

export function createFieldCipher (keys: readonly string[]): FieldCipher {
  const loaded = loadKeys(keys)
  const current = loaded[0] as LoadedKey
  return {
    encrypt: (plaintext) => encodeToken(current.fernet, plaintext),
    decrypt (token) {
      // The MAC check is cheap; only the key that signed the token pays for the (slow) package decrypt.
      const signer = loaded.find((k) => isSignedBy(k.fernet, token))
      if (!signer) throw new CryptoTokenInvalidError('no configured key verifies it')
      return decodeToken(signer.fernet, token, { ttlSeconds: 0 })
    },
    keyFingerprint: () => current.fingerprint,
    keyFingerprints: () => loaded.map((k) => k.fingerprint),
    needsRotation: (token) => !isSignedBy(current.fernet, token),
    isToken: (value) => typeof value === 'string' && loaded.some((k) => isSignedBy(k.fernet, value))
  }
}

export function normaliseEmail (email: string): string {
  return email.normalize('NFKC').trim().toLowerCase()
}

export interface BlindIndex {
  /** HMAC under the current key: what gets stored. */
  email: (email: string) => string
  /** HMACs under every configured key: lookups still match records not yet rotated. */
  emailCandidates: (email: string) => string[]
  /** HMAC of a display name (strict mode change detection), in its own domain so it never equals an email's. */
  name: (name: string) => string
  /** Fingerprint of the key whose derived HMAC key computes `email`. */
  keyFingerprint: () => string
}

// A separate HMAC key is derived per Fernet key (HKDF with a purpose label) so the blind index never reuses the
// Fernet signing key directly, and rotating the Fernet key rotates the index with it.
function deriveIndexKey (key: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(key, 'base64url'), 'atlaslens', 'blind-index:email:v1', 32))
}

export function createBlindIndex (keys: readonly string[]): BlindIndex {
  if (keys.length === 0) throw new CryptoNoKeyError()
  loadKeys(keys) // validates every key
  const derived = keys.map(deriveIndexKey)
  const mac = (k: Buffer, email: string): string => createHmac('sha256', k).update(normaliseEmail(email)).digest('base64url')
  const first = derived[0] as Buffer
  const fingerprint = keyFingerprint(keys[0] as string)
  return {
    email: (email) => mac(first, email),
    name: (name) => mac(first, `name:${name}`),
    emailCandidates: (email) => derived.map((k) => mac(k, email)),
    keyFingerprint: () => fingerprint
  }
}

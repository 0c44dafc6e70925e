// Fernet tokens (https://github.com/fernet/spec): the `fernet` package does the AES/HMAC work; this module adds
// the strict checks the package skips (url-safe base64 only, length and block size, PKCS#7 padding, injectable clock).
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto'
import fernet from 'fernet'
import { CryptoKeyInvalidError, CryptoTokenInvalidError } from './errors.js'

const VERSION = 0x80
const HEADER_BYTES = 1 + 8 + 16 // version, timestamp, IV
const HMAC_BYTES = 32
const BLOCK = 16
const MAX_CLOCK_SKEW_S = 60
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}=?$/
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+={0,2}$/

export interface FernetKey {
  signingKey: Buffer
  encryptionKey: Buffer
  /** The package's parsed secret; built once per key because parsing is not free. */
  secret: InstanceType<typeof fernet.Secret>
}

export function isFernetKey (value: unknown): value is string {
  return typeof value === 'string' && KEY_PATTERN.test(value) && Buffer.from(value, 'base64url').length === 32
}

/** Parses a Fernet key; the error names the key's position, never its value. */
export function parseFernetKey (key: string, position = 1): FernetKey {
  if (!isFernetKey(key)) throw new CryptoKeyInvalidError(`#${position}`)
  const raw = Buffer.from(key, 'base64url')
  return {
    signingKey: raw.subarray(0, 16),
    encryptionKey: raw.subarray(16, 32),
    secret: new fernet.Secret(key.endsWith('=') ? key : `${key}=`)
  }
}

export interface EncodeOptions {
  /** Timestamp written into the token (seconds precision); defaults to the clock. */
  now?: Date
  /** 16 IV bytes; only for reproducing the spec vectors. Random otherwise. */
  iv?: Uint8Array
}

export function encodeToken (key: FernetKey, message: string, opts: EncodeOptions = {}): string {
  if (message.length === 0) throw new CryptoTokenInvalidError('empty message')
  const token = new fernet.Token({
    secret: key.secret,
    ttl: 0,
    ...(opts.now ? { time: new Date(Math.floor(opts.now.getTime() / 1000) * 1000).toISOString() } : {})
  })
  if (opts.iv) {
    // The package's IV-from-array helper reads array indices instead of values; set the IV directly.
    const ivHex = Buffer.from(opts.iv).toString('hex')
    token.setIV = function setIV () {
      this.ivHex = ivHex
      this.iv = fernet.Hex.parse(ivHex)
      return ivHex
    }
  }
  return token.encode(message)
}

interface ParsedToken {
  raw: Buffer
  timestamp: number
}

function parseToken (token: unknown): ParsedToken {
  if (typeof token !== 'string' || token.length % 4 !== 0 || !TOKEN_PATTERN.test(token)) {
    throw new CryptoTokenInvalidError('invalid base64')
  }
  const raw = Buffer.from(token, 'base64url')
  if (raw.length < HEADER_BYTES + BLOCK + HMAC_BYTES) throw new CryptoTokenInvalidError('too short')
  if ((raw.length - HEADER_BYTES - HMAC_BYTES) % BLOCK !== 0) {
    throw new CryptoTokenInvalidError('payload size not a multiple of the block size')
  }
  if (raw[0] !== VERSION) throw new CryptoTokenInvalidError('unknown version')
  return { raw, timestamp: Number(raw.readBigUInt64BE(1)) }
}

function macMatches (key: FernetKey, raw: Buffer): boolean {
  const body = raw.subarray(0, raw.length - HMAC_BYTES)
  const expected = createHmac('sha256', key.signingKey).update(body).digest()
  return timingSafeEqual(expected, raw.subarray(raw.length - HMAC_BYTES))
}

function paddingValid (key: FernetKey, raw: Buffer): boolean {
  // Only the last block carries the padding: decrypt it alone, chained on the block before it (or the IV).
  const end = raw.length - HMAC_BYTES
  const previous = raw.subarray(end - 2 * BLOCK, end - BLOCK)
  const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, previous)
  try {
    decipher.update(raw.subarray(end - BLOCK, end))
    decipher.final()
    return true
  } catch {
    return false
  }
}

/** True when the token is well formed and signed by this key (no decryption: cheap). */
export function isSignedBy (key: FernetKey, token: string): boolean {
  try {
    return macMatches(key, parseToken(token).raw)
  } catch {
    return false
  }
}

export interface VerifyOptions {
  /** 0 disables the age check: stored field values must stay readable for their whole life. */
  ttlSeconds: number
  now?: Date
}

export function decodeToken (key: FernetKey, token: string, opts: VerifyOptions): string {
  const { raw, timestamp } = parseToken(token)
  if (!macMatches(key, raw)) throw new CryptoTokenInvalidError('incorrect mac')
  if (opts.ttlSeconds > 0) {
    const nowS = Math.floor((opts.now ?? new Date()).getTime() / 1000)
    if (timestamp > nowS + MAX_CLOCK_SKEW_S) throw new CryptoTokenInvalidError('far-future timestamp')
    if (nowS - timestamp > opts.ttlSeconds) throw new CryptoTokenInvalidError('expired')
  }
  if (!paddingValid(key, raw)) throw new CryptoTokenInvalidError('padding error')
  // Age was checked above against the injected clock, so the package's own wall-clock TTL stays off.
  return new fernet.Token({ secret: key.secret, ttl: 0, token }).decode()
}

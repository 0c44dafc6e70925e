// Password policy and bcrypt hashing (bcryptjs). The dummy hash keeps unknown usernames as slow as wrong passwords.
import bcrypt from 'bcryptjs'

export const BCRYPT_COST = 12
export const MIN_PASSWORD_LENGTH = 12
/** bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so they are refused. */
export const MAX_PASSWORD_BYTES = 72

/**
 * A cost-12 hash of random bytes nobody kept. Comparing against it costs the same as a real comparison,
 * so response time does not reveal whether a username exists.
 */
export const DUMMY_HASH = '$2b$12$M6ntRMrLrt87IcdZR1stCe6A5ldVERvBVwapeLb0kMAsYow4x4VLq'

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem (username: string, password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `it must be at least ${MIN_PASSWORD_LENGTH} characters long`
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `it must be at most ${MAX_PASSWORD_BYTES} bytes long (bcrypt ignores the rest)`
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) return 'it must not equal the username'
  return null
}

export async function hashPassword (password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST)
}

/** Compares against the stored hash, or against the dummy hash when there is none (unknown user). */
export async function verifyPassword (password: string, hash: string | null): Promise<boolean> {
  const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH)
  return ok && hash !== null
}

/** The cost a stored hash was made with (0 when it is not a bcrypt hash). */
export function hashCost (hash: string): number {
  const m = /^\$2[aby]\$(\d{2})\$/.exec(hash)
  return m === null ? 0 : Number(m[1])
}

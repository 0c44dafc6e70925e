// Seeded randomness: a sequential PRNG for generation and a stateless hash for per-record details,
// so any record can be materialised on demand without replaying the generator.

/** mulberry32: tiny, fast, good enough for synthetic data. Returns floats in [0, 1). */
export function createRng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Stateless 32-bit hash of a few integers (murmur3 finaliser per step). */
export function hash32 (...parts: number[]): number {
  let h = 0x9E3779B9
  for (const p of parts) {
    let k = Math.imul((p | 0) ^ ((p / 4294967296) | 0), 0xCC9E2D51)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, 0x1B873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xE6546B64) | 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85EBCA6B)
  h ^= h >>> 13
  h = Math.imul(h, 0xC2B2AE35)
  h ^= h >>> 16
  return h >>> 0
}

/** Float in [0, 1) from a hash. */
export function hashUnit (...parts: number[]): number {
  return hash32(...parts) / 4294967296
}

/** Picks an element by hash. */
export function hashPick<T> (items: readonly T[], ...parts: number[]): T {
  return items[hash32(...parts) % items.length] as T
}

/** Stable 32-bit hash of a string (FNV-1a), e.g. to fold a URL into fault decisions. */
export function hashString (s: string): number {
  let h = 0x811C9DC5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Deterministic lowercase hex string of the given length. */
export function hashHex (length: number, ...parts: number[]): string {
  let out = ''
  let i = 0
  while (out.length < length) out += hash32(...parts, i++).toString(16).padStart(8, '0')
  return out.slice(0, length)
}

// Helpers for compact, sorted time columns: generation in O(n) and binary searches.

/** n sorted, strictly increasing integer-ms instants spread uniformly over [from, to]. */
export function sortedInstants (rng: () => number, n: number, from: number, to: number): Float64Array {
  const out = new Float64Array(n)
  if (n === 0) return out
  // Uniform order statistics from normalised exponential spacings: no sort needed.
  let acc = 0
  for (let i = 0; i < n; i++) { acc += -Math.log(1 - rng()); out[i] = acc }
  const total = acc + -Math.log(1 - rng())
  const span = to - from
  let prev = -Infinity
  for (let i = 0; i < n; i++) {
    let t = Math.floor(from + (out[i]! / total) * span)
    if (t <= prev) t = prev + 1
    out[i] = t
    prev = t
  }
  return out
}

/** First index i in [lo, hi) with a[i] >= x (a sorted ascending). */
export function lowerBound (a: ArrayLike<number>, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index i in [lo, hi) with a[i] > x (a sorted ascending). */
export function upperBound (a: ArrayLike<number>, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Number of values of a sorted column inside [from, to]. */
export function countInRange (a: ArrayLike<number>, from: number, to: number): number {
  if (to < from) return 0
  return upperBound(a, to) - lowerBound(a, from)
}


/** Weighted index pick from a unit float. */
export function pickWeighted (weights: readonly number[], u: number): number {
  let total = 0
  for (const w of weights) total += w
  let x = u * total
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!
    if (x < 0) return i
  }
  return weights.length - 1
}


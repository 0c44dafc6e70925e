// Order-preserving index keys: their string order must be the index order built from compareValues, and the sorted
// index's string-range scans must select exactly what the value-tuple bounds select.
import t from 'tap'
import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson'
import { AFTER_PREFIX, encodeKey } from '../../src/db/embedded/index-key.js'
import { SortedIndex } from '../../src/db/embedded/sorted-index.js'
import { compareValues } from '../../src/db/embedded/values.js'

// A seeded generator, so a failure names a reproducible case.
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rand = rng(20261130)
const int = (n: number): number => Math.floor(rand() * n)
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T

// Characters where UTF-16 order and code point order agree (no U+E000..U+FFFF, no lone surrogates): see the
// dedicated test below for where they do not.
const CHARS = ['a', 'b', 'z', 'A', '0', ' ', '~', '\u0000', '\u0001', '\u0002', '\u007f', 'é', 'ß', '\u00ff', '\u0100',
  '\u07ff', '\u0800', '中', '\ud7ff', '😀', '𝄞', '\u{10ffff}', '\u{1f601}']
const randString = (): string => Array.from({ length: int(5) }, () => pick(CHARS)).join('')
const NUMBERS = [0, -0, 1, -1, 0.5, -0.5, 2, 3, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300, Infinity, -Infinity,
  Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 31, -(2 ** 31), 123456.789]
function randNumber (): unknown {
  const x = rand() < 0.5 ? pick(NUMBERS) : (rand() - 0.5) * 10 ** int(12)
  switch (int(6)) {
    case 0: return Number.isInteger(x) && Math.abs(x) < 2 ** 31 ? new Int32(x) : x
    case 1: return new Double(x)
    case 2: return Number.isSafeInteger(x) ? Long.fromNumber(x) : x
    case 3: return Number.isFinite(x) && Number.isInteger(x) ? Decimal128.fromString(String(x)) : x
    default: return x
  }
}
const randBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => pick([0, 1, 2, 127, 128, 254, 255]))
function randScalar (): unknown {
  switch (int(13)) {
    case 0: return null
    case 1: return randString()
    case 2: case 3: return randNumber()
    case 4: return rand() < 0.5
    case 5: return new Date(pick([0, -1, 1, 1.7e12, -6.2e13, 8.64e15 - 5000, -8.64e15]) + int(3) * 1000)
    case 6: return new ObjectId(randBytes(12))
    case 7: return rand() < 0.5 ? new Binary(randBytes(int(4))) : randBytes(int(4))
    case 8: return new Timestamp({ t: pick([0, 1, 2 ** 31, 2 ** 32 - 1]), i: pick([0, 1, 2 ** 31 + 5]) })
    case 9: return pick([new MinKey(), new MaxKey()])
    case 10: return pick([/ab/, /ab/i, /b/])
    case 11: return undefined
    default: return pick(['', 'a', 'ab', 'b', 'acme', 'a\u0000', 'a\u0001', 'a\u0000b'])
  }
}
function randValue (depth = 0): unknown {
  const r = rand()
  if (depth < 2 && r < 0.1) return Array.from({ length: int(4) }, () => randValue(depth + 1))
  if (depth < 2 && r < 0.2) {
    const o: Record<string, unknown> = {}
    for (let i = int(3); i > 0; i--) o[pick(['a', 'b', 'ab', 'é', '', 'a\u0000'])] = randValue(depth + 1)
    return o
  }
  return randScalar()
}

const sign = (x: number): number => x < 0 ? -1 : x > 0 ? 1 : 0
const strCmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0
const show = (v: unknown): string => {
  try { return JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? `${x}n` : x) ?? String(v) } catch { return String(v) }
}
/** The index comparator the encoding replaces: compareValues per field, times the field's direction. */
const tupleCmp = (a: unknown[], b: unknown[], dirs: number[]): number => {
  for (let i = 0; i < dirs.length; i++) {
    const c = compareValues(a[i], b[i])
    if (c !== 0) return c * (dirs[i] as number)
  }
  return 0
}

t.test('single values: key order is compareValues order, both directions', async (t) => {
  const values = Array.from({ length: 600 }, () => randValue())
  const asc = values.map((v) => encodeKey([v], [1]))
  const desc = values.map((v) => encodeKey([v], [-1]))
  let bad = 0
  for (let i = 0; i < values.length; i++) {
    t.ok(/^[\u0000-\u00ff]*$/.test(asc[i] as string), 'keys are one-byte strings') || bad++
    for (let j = 0; j < values.length; j++) {
      const want = sign(compareValues(values[i], values[j]))
      const got = sign(strCmp(asc[i] as string, asc[j] as string))
      const gotDesc = sign(strCmp(desc[i] as string, desc[j] as string))
      if (got !== want || gotDesc !== -want) {
        if (bad++ < 10) t.fail(`${show(values[i])} vs ${show(values[j])}: compareValues ${want}, asc ${got}, desc ${gotDesc}`)
      }
    }
    if (bad > 10) break
  }
  t.equal(bad, 0, `${values.length ** 2} ordered pairs agree`)
})

t.test('tuples with mixed directions: key order is the index comparator order; prefixes are string prefixes', async (t) => {
  let bad = 0
  for (let round = 0; round < 40 && bad === 0; round++) {
    const width = 1 + int(4)
    const dirs = Array.from({ length: width }, () => rand() < 0.5 ? 1 : -1)
    // Few distinct values per field, so that many tuples share prefixes.
    const pools = dirs.map(() => Array.from({ length: 4 }, () => randValue(1)))
    const tuples = Array.from({ length: 60 }, () => pools.map((p) => pick(p)))
    const keys = tuples.map((tu) => encodeKey(tu, dirs))
    for (let i = 0; i < tuples.length; i++) {
      for (let m = 0; m <= width; m++) {
        if (!(keys[i] as string).startsWith(encodeKey((tuples[i] as unknown[]).slice(0, m), dirs))) bad++
      }
      for (let j = 0; j < tuples.length; j++) {
        const want = sign(tupleCmp(tuples[i] as unknown[], tuples[j] as unknown[], dirs))
        const got = sign(strCmp(keys[i] as string, keys[j] as string))
        if (got !== want && bad++ < 10) t.fail(`${show(tuples[i])} vs ${show(tuples[j])} dirs ${show(dirs)}: want ${want} got ${got}`)
      }
    }
  }
  t.equal(bad, 0, 'all tuple pairs agree')
})

t.test('numbers of every BSON width encode equal when equal', async (t) => {
  const one = encodeKey([1], [1])
  for (const v of [new Int32(1), new Double(1.0), Long.fromNumber(1), Decimal128.fromString('1'), Decimal128.fromString('1.00'), 1n]) {
    t.equal(encodeKey([v], [1]), one, `${v.constructor.name} 1`)
  }
  t.equal(encodeKey([-0], [1]), encodeKey([0], [1]), '-0 is 0')
  t.equal(encodeKey([new Double(-2.5)], [-1]), encodeKey([-2.5], [-1]), 'descending too')
  t.equal(encodeKey([undefined], [1]), encodeKey([null], [1]), 'missing indexes as null')
  t.equal(encodeKey([new Date(5)], [1]), encodeKey([new Date(5)], [1]), 'dates by time')
  t.not(encodeKey([new Date(5)], [1]), encodeKey([5], [1]), 'a date is not a number')
  t.equal(encodeKey([{ a: 1, b: 'x' }], [1]), encodeKey([{ a: new Int32(1), b: 'x' }], [1]), 'nested numbers too')
  t.equal(encodeKey([new ObjectId('0123456789abcdef01234567')], [1]), encodeKey([new ObjectId('0123456789abcdef01234567')], [1]))
})

t.test('where the keys follow MongoDB rather than compareValues', async (t) => {
  const k = (v: unknown): string => encodeKey([v], [1])
  // MongoDB orders NaN below every number and equal to itself; compareValues calls NaN equal to every number.
  t.ok(k(NaN) < k(-Infinity), 'NaN below -Infinity')
  t.ok(k(NaN) > k(null), 'NaN is still a number (above null)')
  t.equal(k(NaN), k(new Double(NaN)), 'NaN equals NaN')
  // Strings compare by UTF-8 bytes (code points) as in MongoDB's simple collation; JS `<` compares UTF-16 units.
  t.ok(k('\ufffd') < k('😀'), 'U+FFFD sorts below U+1F600 (UTF-8 order)')
  t.equal(compareValues('\ufffd', '😀'), 1, 'compareValues (UTF-16 order) puts it above')
  t.ok(k('\u{10000}') > k('\uffff'), 'astral above the BMP')
  // Binary: length, then subtype, then bytes (compareValues ignores the subtype).
  t.ok(k(new Binary(Uint8Array.from([9]), 0)) < k(new Binary(Uint8Array.from([1]), 4)), 'subtype before bytes')
  t.ok(k(new Binary(Uint8Array.from([9, 9]), 0)) > k(new Binary(Uint8Array.from([1]), 4)), 'length before subtype')
  t.ok(k(Uint8Array.from([1, 2])) === k(new Binary(Uint8Array.from([1, 2]))), 'a Uint8Array is subtype 0')
  t.ok(k(new Date(NaN)) < k(new Date(-8.64e15)), 'an invalid date sorts below every date (compareValues: equal to all)')
  t.ok(k(new BSONRegExp('ab', 'i')) > k(new Date()), 'BSONRegExp ranks as a regex')
  t.ok(encodeKey([''], [1]) + AFTER_PREFIX < encodeKey(['\u{10ffff}'], [1]), 'AFTER_PREFIX only covers keys that start with the prefix')
  t.ok(encodeKey(['a'], [1]) + AFTER_PREFIX > encodeKey(['a', '\u{10ffff}'], [1, 1]), '…and covers every key that does')
})

t.test('scan over string keys selects what the value bounds select', async (t) => {
  let bad = 0
  for (let round = 0; round < 30 && bad === 0; round++) {
    const width = 1 + int(3)
    const key: Record<string, 1 | -1> = {}
    for (let i = 0; i < width; i++) key[`f${i}`] = rand() < 0.5 ? 1 : -1
    const ix = new SortedIndex({ name: 'x', key })
    const pools = ix.dirs.map(() => Array.from({ length: 5 }, () => randScalar()))
    const rows = new Map<string, unknown[]>()
    for (let n = 0; n < 300; n++) {
      const tuple = pools.map((p) => pick(p))
      const id = `d${n}`
      rows.set(id, tuple)
      for (const k of ix.keysFor(Object.fromEntries(tuple.map((v, i) => [`f${i}`, v])))) ix.insert(k, id)
    }
    // Remove a third through the API, as an update that changes the key would.
    for (let n = 0; n < 300; n += 3) {
      const id = `d${n}`
      const doc = Object.fromEntries((rows.get(id) as unknown[]).map((v, i) => [`f${i}`, v]))
      t.ok(ix.remove(ix.keysFor(doc)[0] as string, id)) || bad++
      t.notOk(ix.remove(ix.keysFor(doc)[0] as string, id), 'a second remove finds nothing') || bad++
      rows.delete(id)
    }
    t.equal(ix.size, rows.size)
    // The previous implementation's semantics: compare the first bound.length fields with compareValues.
    const prefixCmp = (row: unknown[], b: unknown[]): number => tupleCmp(row, b, ix.dirs.slice(0, b.length))
    const order = (a: [string, unknown[]], b: [string, unknown[]]): number => tupleCmp(a[1], b[1], ix.dirs) || strCmp(ix.encode(a[1]), ix.encode(b[1])) || strCmp(a[0], b[0])
    const sorted = [...rows.entries()].sort(order)
    for (let q = 0; q < 40; q++) {
      const bound = (): unknown[] | undefined => {
        if (rand() < 0.2) return undefined
        const m = 1 + int(width)
        return Array.from({ length: m }, (_v, i) => rand() < 0.8 ? pick(pools[i] as unknown[]) : randScalar())
      }
      const lo = bound(); const hi = bound(); const loInc = rand() < 0.5; const hiInc = rand() < 0.5
      const dir = rand() < 0.5 ? 1 : -1
      const want = sorted.filter(([, row]) => {
        if (lo !== undefined) { const c = prefixCmp(row, lo); if (c < 0 || (c === 0 && !loInc)) return false }
        if (hi !== undefined) { const c = prefixCmp(row, hi); if (c > 0 || (c === 0 && !hiInc)) return false }
        return true
      }).map(([id]) => id)
      if (dir === -1) want.reverse()
      const got = [...ix.scan(lo, loInc, hi, hiInc, dir)]
      if (show(got) !== show(want) && bad++ < 5) t.same(got, want, `scan ${show(lo)} ${loInc} ${show(hi)} ${hiInc} dir ${dir}`)
    }
    // Unique lookups: the ids with exactly a row's key.
    for (const [id, row] of [...rows.entries()].slice(0, 20)) {
      const same = [...rows.entries()].filter(([, r]) => tupleCmp(r, row, ix.dirs) === 0).map(([i]) => i).sort()
      if (show(ix.idsWithKey(ix.encode(row)).sort()) !== show(same) && bad++ < 5) t.fail(`idsWithKey for ${id}`)
    }
  }
  t.equal(bad, 0, 'every scan matched the brute-force selection')
})

t.test('a large index splits into chunks and stays ordered', async (t) => {
  const ix = new SortedIndex({ name: 'big', key: { a: 1, b: -1 } })
  const ids: string[] = []
  for (let n = 0; n < 5000; n++) {
    const id = `id${(n * 7919) % 5000}`
    ids.push(id)
    ix.insert(ix.encode([n % 97, n % 13]), id)
  }
  t.equal(ix.size, 5000)
  const all = [...ix.scan(undefined, true, undefined, true, 1)]
  t.equal(all.length, 5000)
  t.same([...ix.scan(undefined, true, undefined, true, -1)], all.slice().reverse(), 'backwards is the reverse')
  const fifty = [...ix.scan([50], true, [50], true, 1)]
  t.ok(fifty.length > 0)
  t.ok(fifty.every((id) => { const n = ids.indexOf(id); return n % 97 === 50 }), 'a prefix bound selects the field value')
  for (const id of ids.slice(0, 2500)) {
    const n = ids.indexOf(id)
    t.ok(ix.remove(ix.encode([n % 97, n % 13]), id)) || t.bailout(`remove ${id}`)
  }
  t.equal(ix.size, 2500)
  t.equal([...ix.scan(undefined, true, undefined, true, 1)].length, 2500)
})

t.test('keysFor: multikey fan-out, sparse, partial, replace', async (t) => {
  const ix = new SortedIndex({ name: 'tags', key: { tags: 1, n: -1 } })
  const keys = ix.keysFor({ tags: ['b', 'a', 'b', new Int32(1), 1], n: 3 })
  t.equal(keys.length, 3, 'distinct elements only (1 and Int32(1) are one key)')
  t.ok(ix.multikey)
  t.same(ix.tuplesFor({ tags: ['b', 'a'], n: 3 }), [['b', 3], ['a', 3]])
  t.same(ix.tupleOf({ tags: ['b', 'a'], n: 3 }, ix.encode(['a', 3])), ['a', 3])
  t.same(ix.keysFor({ tags: [], n: 1 }), [ix.encode([null, 1])], 'an empty array indexes as null')
  const sparse = new SortedIndex({ name: 's', key: { a: 1, b: 1 }, sparse: true })
  t.same(sparse.keysFor({ c: 1 }), [], 'sparse skips documents without any field')
  t.equal(sparse.keysFor({ b: 1 }).length, 1)
  const partial = new SortedIndex({ name: 'p', key: { a: 1 }, partialFilterExpression: { kind: 'x' } })
  t.same(partial.keysFor({ a: 1, kind: 'y' }), [])
  t.equal(partial.keysFor({ a: 1, kind: 'x' }).length, 1)

  ix.insert(ix.encode(['a', 1]), 'd1')
  ix.insert(ix.encode(['b', 1]), 'd1')
  ix.replace('d1', [ix.encode(['a', 1]), ix.encode(['b', 1])], [ix.encode(['b', 1]), ix.encode(['c', 1])])
  t.same([...ix.scan(undefined, true, undefined, true, 1)], ['d1', 'd1'])
  t.same(ix.idsWithKey(ix.encode(['a', 1])), [], 'old key gone')
  t.same(ix.idsWithKey(ix.encode(['c', 1])), ['d1'], 'new key present')
  t.equal(ix.size, 2)
})

t.test('random inserts and removes keep chunks and their last keys consistent', async (t) => {
  const ix = new SortedIndex({ name: 'churn', key: { a: -1 } })
  const live = new Map<string, string>()
  let bad = 0
  for (let step = 0; step < 20000; step++) {
    // Phases: grow, then empty whole key ranges (so chunks disappear), then grow again.
    const removing = step % 5000 > 3000 && live.size > 0
    if (!removing) {
      const id = `i${step}`
      const k = ix.encode([int(300)])
      ix.insert(k, id); live.set(id, k)
    } else {
      const [id, k] = [...live.entries()][int(Math.min(live.size, 50))] as [string, string]
      if (!ix.remove(k, id)) bad++
      live.delete(id)
    }
  }
  const want = [...live.entries()].sort((x, y) => strCmp(x[1], y[1]) || strCmp(x[0], y[0])).map(([id]) => id)
  t.same([...ix.scan(undefined, true, undefined, true, 1)], want, 'full scan in (key, id) order')
  t.same([...ix.scan(undefined, true, undefined, true, -1)], want.slice().reverse())
  for (let v = 0; v < 300; v += 7) {
    const k = ix.encode([v])
    const ids = [...live.entries()].filter(([, x]) => x === k).map(([id]) => id).sort()
    t.same(ix.idsWithKey(k), ids, `ids with key ${v}`) || bad++
    t.same([...ix.scan([v], true, [v], true, 1)], ids, `scan of ${v}`) || bad++
  }
  t.equal(ix.size, live.size)
  t.equal(bad, 0)
})

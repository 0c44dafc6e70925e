// Order-preserving index keys (the KeyString idea of WiredTiger/MongoDB): a key tuple becomes one Latin-1 string
// whose plain `<` order is the index order, field directions included, so index maintenance is native string compares.
//
// Each value is a type byte (MongoDB's cross-type order, as typeRank in values.ts) followed by a prefix-free body, so a
// tuple's key is the concatenation of its values' encodings and a prefix of the fields is a string prefix of the key.
// A descending field has every byte complemented (255 - b): for prefix-free codes that exactly reverses the order.
//
// Where this deliberately differs from compareValues (it follows MongoDB instead):
// - strings (and object field names) compare by UTF-8 bytes, i.e. by code point; compareValues uses UTF-16 code units,
//   which disagrees only when U+E000..U+FFFF meets a character outside the BMP at the same position;
// - NaN sorts below every other number and equals NaN (compareValues calls NaN equal to every number);
// - Binary compares by length, then subtype, then bytes (compareValues ignores the subtype).
import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson'
import { toNumber } from './values.js'

// Type bytes, spaced out; 0x00 is kept for terminators (end of string, array, object) so it sorts below any value.
const T_MINKEY = 0x0a
const T_NULL = 0x14
const T_NUMBER = 0x1e
const T_STRING = 0x28
const T_OBJECT = 0x32
const T_ARRAY = 0x3c
const T_BINARY = 0x46
const T_OBJECTID = 0x50
const T_BOOLEAN = 0x5a
const T_DATE = 0x64
const T_TIMESTAMP = 0x6e
const T_REGEX = 0x78
const T_MAXKEY = 0xf0

/** Appended to an encoded prefix, gives a string above every key that starts with that prefix (keys are Latin-1). */
export const AFTER_PREFIX = '\uffff'

let buf = Buffer.allocUnsafe(1024)
let pos = 0

function ensure (n: number): void {
  if (pos + n <= buf.length) return
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n))
  buf.copy(next, 0, 0, pos)
  buf = next
}

function typeByte (v: unknown): number {
  if (v === undefined || v === null) return T_NULL
  switch (typeof v) {
    case 'string': return T_STRING
    case 'number': case 'bigint': return T_NUMBER
    case 'boolean': return T_BOOLEAN
    case 'object': break
    default: return T_STRING
  }
  if (v instanceof Date) return T_DATE
  if (v instanceof ObjectId) return T_OBJECTID
  if (Array.isArray(v)) return T_ARRAY
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) return T_OBJECT
  if (v instanceof MinKey) return T_MINKEY
  if (v instanceof MaxKey) return T_MAXKEY
  if (v instanceof Long || v instanceof Int32 || v instanceof Double || v instanceof Decimal128) return T_NUMBER
  if (v instanceof Binary || v instanceof Uint8Array) return T_BINARY
  if (v instanceof Timestamp) return T_TIMESTAMP
  if (v instanceof RegExp || v instanceof BSONRegExp) return T_REGEX
  return T_OBJECT
}

/** A double as 8 bytes whose unsigned order is numeric order: big-endian, sign bit flipped, negatives complemented. */
function writeDouble (x: number): void {
  ensure(8)
  if (x !== x) { buf.fill(0, pos, pos + 8); pos += 8; return } // NaN: below -Infinity (0x000fff...)
  buf.writeDoubleBE(x === 0 ? 0 : x, pos) // -0 and 0 are one key
  if ((buf[pos] as number) & 0x80) {
    for (let i = pos; i < pos + 8; i++) buf[i] = ~(buf[i] as number) & 0xff
  } else {
    buf[pos] = (buf[pos] as number) | 0x80
  }
  pos += 8
}

/** UTF-8 bytes (lone surrogates as their 3-byte form), 0x00/0x01 escaped as 0x01 0x01/0x01 0x02, then 0x00. */
function writeString (s: string): void {
  const n = s.length
  ensure(n * 3 + 1)
  let p = pos
  const b = buf
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      if (c > 1) { b[p++] = c } else { b[p++] = 1; b[p++] = c + 1 }
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6); b[p++] = 0x80 | (c & 0x3f)
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          i++
          b[p++] = 0xf0 | (c >> 18); b[p++] = 0x80 | ((c >> 12) & 0x3f); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f)
          continue
        }
      }
      b[p++] = 0xe0 | (c >> 12); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f)
    }
  }
  b[p++] = 0
  pos = p
}

function writeBytes (bytes: Uint8Array): void {
  ensure(bytes.length)
  buf.set(bytes, pos)
  pos += bytes.length
}

function writeUint32 (x: number): void {
  ensure(4)
  buf.writeUInt32BE(x >>> 0, pos)
  pos += 4
}

function writeBody (t: number, v: unknown): void {
  switch (t) {
    case T_NULL: case T_MINKEY: case T_MAXKEY: return
    case T_STRING: writeString(typeof v === 'string' ? v : String(v)); return
    case T_NUMBER: writeDouble(typeof v === 'number' ? v : toNumber(v)); return
    case T_DATE: writeDouble((v as Date).getTime()); return
    case T_BOOLEAN: ensure(1); buf[pos++] = v === true ? 1 : 0; return
    case T_OBJECTID: writeBytes((v as ObjectId).id); return
    case T_BINARY: {
      // Fixed-length fields then exactly `length` bytes: prefix-free without escaping.
      const bytes = v instanceof Binary ? v.buffer : v as Uint8Array
      writeUint32(bytes.length)
      ensure(1); buf[pos++] = v instanceof Binary ? v.sub_type : 0
      writeBytes(bytes)
      return
    }
    case T_TIMESTAMP: writeUint32((v as Timestamp).high); writeUint32((v as Timestamp).low); return
    case T_REGEX: writeString(String(v)); return
    case T_ARRAY: {
      // Elements in order, then 0x00: a shorter array that is a prefix of a longer one sorts first.
      for (const el of v as unknown[]) writeValue(el)
      ensure(1); buf[pos++] = 0
      return
    }
    default: {
      // Objects as compareValues orders them: per field the value's type, then the name, then the value; then 0x00.
      const o = v as Record<string, unknown>
      for (const k of Object.keys(o)) {
        const x = o[k]
        const tx = typeByte(x)
        ensure(1); buf[pos++] = tx
        writeString(k)
        writeBody(tx, x)
      }
      ensure(1); buf[pos++] = 0
    }
  }
}

function writeValue (v: unknown): void {
  const t = typeByte(v)
  ensure(1)
  buf[pos++] = t
  writeBody(t, v)
}

/**
 * The key of a value tuple: `dirs[i] === -1` makes field i descending. `values` may be shorter than `dirs` (a bound on a
 * prefix of the fields); undefined encodes as null, as a missing field does in an index.
 */
export function encodeKey (values: readonly unknown[], dirs: readonly number[]): string {
  pos = 0
  for (let i = 0; i < values.length; i++) {
    const start = pos
    writeValue(values[i])
    if (dirs[i] === -1) for (let j = start; j < pos; j++) buf[j] = 255 - (buf[j] as number)
  }
  return buf.toString('latin1', 0, pos)
}

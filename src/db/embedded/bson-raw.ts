// Finding a sub-document's bytes inside a raw BSON message, so a stored document can be journaled without
// serialising it again (the ingest path inserts `$setOnInsert` documents exactly as the client sent them), and
// decoding only the fields a caller needs from a stored document.
import { BSON, ObjectId } from 'bson'
import type { Doc } from './values.js'

/** Non-enumerable link from a decoded command document to its raw bytes. */
export const RAW = Symbol('atlaslens.rawBson')

export function cstringEnd (buf: Buffer, pos: number): number {
  const end = buf.indexOf(0, pos)
  if (end < 0) throw new Error('unterminated cstring')
  return end
}

/** Size in bytes of the value of type `type` starting at `pos`. */
export function elementValueSize (buf: Buffer, type: number, pos: number): number { return valueSize(buf, type, pos) }

/**
 * A length read from the bytes, refused when it is below the smallest its type can have: a negative or zero length
 * from a malformed (or hostile) document would otherwise send an element walk backwards or round forever.
 */
function atLeast (n: number, min: number): number {
  if (!(n >= min)) throw new Error(`invalid BSON length ${n}`)
  return n
}

/** valueSize for the common types without Buffer's bounds-checked readers. */
function fastValueSize (buf: Buffer, type: number, pos: number): number {
  switch (type) {
    case 1: case 9: case 18: return 8
    case 2: return 4 + atLeast(int32(buf, pos), 1)
    case 3: case 4: return atLeast(int32(buf, pos), 5)
    case 7: return 12
    case 8: return 1
    case 10: return 0
    case 16: return 4
    default: return valueSize(buf, type, pos)
  }
}

function valueSize (buf: Buffer, type: number, pos: number): number {
  switch (type) {
    case 1: case 9: case 17: case 18: return 8
    case 2: case 13: case 14: return 4 + atLeast(buf.readInt32LE(pos), 1)
    case 3: case 4: case 15: return atLeast(buf.readInt32LE(pos), 5)
    case 5: return 5 + atLeast(buf.readInt32LE(pos), 0)
    case 6: case 10: case 0x7f: case 0xff: return 0
    case 7: return 12
    case 8: return 1
    case 11: { const a = cstringEnd(buf, pos); return cstringEnd(buf, a + 1) + 1 - pos }
    case 12: return 4 + atLeast(buf.readInt32LE(pos), 1) + 12
    case 16: return 4
    case 19: return 16
    default: throw new Error(`unknown BSON type ${type}`)
  }
}

/** The bytes of the embedded document at `path` inside `doc`, or null if it is absent or not a document. */
export function subDocument (doc: Buffer, path: string[]): Buffer | null {
  let cur = doc
  for (const name of path) {
    const len = cur.readInt32LE(0)
    let pos = 4
    let found: Buffer | null = null
    while (pos < len - 1) {
      const type = cur[pos] as number
      const nameEnd = cstringEnd(cur, pos + 1)
      const key = cur.toString('utf8', pos + 1, nameEnd)
      const valueAt = nameEnd + 1
      const size = valueSize(cur, type, valueAt)
      if (key === name) {
        if (type !== 3) return null
        found = cur.subarray(valueAt, valueAt + size)
        break
      }
      pos = valueAt + size
    }
    if (found === null) return null
    cur = found
  }
  return cur
}

/** Name of the first field of a raw document (to check that `_id` leads). */
export function firstKey (doc: Buffer): string | null {
  if (doc.readInt32LE(0) <= 5) return null
  return doc.toString('utf8', 5, cstringEnd(doc, 5))
}

/** Top-level element spans of a raw document: name → [elementStart, valueStart, elementEnd, type]. */
export function elements (doc: Buffer): Map<string, [number, number, number, number]> {
  const out = new Map<string, [number, number, number, number]>()
  const len = doc.readInt32LE(0)
  let pos = 4
  while (pos < len - 1) {
    const type = doc[pos] as number
    const nameEnd = cstringEnd(doc, pos + 1)
    const valueAt = nameEnd + 1
    const end = valueAt + valueSize(doc, type, valueAt)
    out.set(doc.toString('utf8', pos + 1, nameEnd), [pos, valueAt, end, type])
    pos = end
  }
  return out
}

/** The same document without one top-level element. */
export function withoutElement (doc: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(doc.length - (end - start))
  doc.copy(out, 0, 0, start)
  doc.copy(out, start, end)
  out.writeInt32LE(out.length, 0)
  return out
}

// Decodes the way commands are decoded (wire-protocol's COMMAND_DESERIALIZE): Int32/Double become numbers, Longs
// stay Long, Binary stays Binary. Kept here (not imported) so this module has no dependency on the wire layer.
const DECODE = Object.freeze({ promoteLongs: false, promoteValues: true, promoteBuffers: false })

/** One element re-wrapped as a one-field document and decoded by the bson library (for the unusual types). */
function decodeElement (buf: Buffer, start: number, end: number, name: string): unknown {
  const one = Buffer.allocUnsafe(4 + (end - start) + 1)
  one.writeInt32LE(one.length, 0)
  buf.copy(one, 4, start, end)
  one[one.length - 1] = 0
  return (BSON.deserialize(one, DECODE) as Doc)[name]
}

/**
 * The value of one element, decoded exactly as a full `BSON.deserialize` with the store's options would:
 * common scalars by hand, documents, arrays and the rare types through the library.
 */
function decodeValue (buf: Buffer, type: number, start: number, valueAt: number, end: number, name: string): unknown {
  switch (type) {
    case 1: return buf.readDoubleLE(valueAt)
    case 2: return utf8Slice(buf, valueAt + 4, end - 1)
    case 7: return new ObjectId(Uint8Array.prototype.slice.call(buf, valueAt, valueAt + 12))
    case 8: return buf[valueAt] === 1
    case 9: return new Date(buf.readInt32LE(valueAt + 4) * 4294967296 + buf.readUInt32LE(valueAt))
    case 10: return null
    case 16: return buf.readInt32LE(valueAt)
    default: return decodeElement(buf, start, end, name)
  }
}

// Node's Buffer has these (Buffer#toString dispatches to them); calling them directly skips argument handling.
interface Slices { utf8Slice: (start: number, end: number) => string; latin1Write: (s: string, offset: number) => number }
export function utf8Slice (buf: Buffer, start: number, end: number): string { return (buf as unknown as Slices).utf8Slice(start, end) }
export function latin1Write (buf: Buffer, s: string, offset = 0): number { return (buf as unknown as Slices).latin1Write(s, offset) }

/** Field names as UTF-8 bytes, to find elements by comparing bytes (no string per element name). */
interface NameTable { names: string[]; bytes: Buffer[]; maxLen: number }
const tables = new WeakMap<ReadonlySet<string>, NameTable>()

let lastNames: ReadonlySet<string> | null = null
let lastTable: NameTable | null = null

function tableFor (names: ReadonlySet<string>): NameTable {
  // Scans read the same set for every document: skip the WeakMap then.
  if (names === lastNames) return lastTable as NameTable
  let t = tables.get(names)
  if (t === undefined) {
    const list = [...names]
    const bytes = list.map((n) => Buffer.from(n, 'utf8'))
    t = { names: list, bytes, maxLen: Math.max(0, ...bytes.map((b) => b.length)) }
    tables.set(names, t)
  }
  lastNames = names
  lastTable = t
  return t
}

function int32 (b: Buffer, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)
}

function nameIndex (doc: Buffer, start: number, end: number, t: NameTable): number {
  const len = end - start
  if (len > t.maxLen) return -1
  outer: for (let i = 0; i < t.bytes.length; i++) {
    const b = t.bytes[i] as Buffer
    if (b.length !== len) continue
    for (let j = 0; j < len; j++) if (b[j] !== doc[start + j]) continue outer
    return i
  }
  return -1
}

/**
 * Decodes only the named top-level fields of a raw document (a dotted path needs its first segment here: the whole
 * top-level value is decoded, so arrays along the path fan out as usual). Absent fields stay absent; the scan stops
 * once every named field was found. Pass the same Set object each time: its byte table is cached.
 */
export function readFields (doc: Buffer, names: ReadonlySet<string>): Doc {
  const out: Doc = {}
  const t = tableFor(names)
  const len = int32(doc, 0)
  let want = t.names.length
  let pos = 4
  while (pos < len - 1 && want > 0) {
    const type = doc[pos] as number
    let nameEnd = pos + 1
    while (doc[nameEnd] !== 0) { if (nameEnd >= len) throw new Error('unterminated cstring'); nameEnd++ }
    const valueAt = nameEnd + 1
    const end = valueAt + fastValueSize(doc, type, valueAt)
    const i = nameIndex(doc, pos + 1, nameEnd, t)
    if (i >= 0) {
      const name = t.names[i] as string
      if (!(name in out)) { out[name] = decodeValue(doc, type, pos, valueAt, end, name); want-- }
    }
    pos = end
  }
  return out
}

/** The raw bytes of each top-level element, by name, in document order. */
export function elementBytes (doc: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = []
  for (const [name, [start, , end]] of elements(doc)) out.push([name, doc.subarray(start, end)])
  return out
}

/** One element `{name: value}` encoded on its own (type byte, name, value) for splicing into a document. */
export function encodeElement (name: string, value: unknown): Buffer {
  const one = BSON.serialize({ [name]: value })
  return Buffer.from(one.buffer, one.byteOffset + 4, one.length - 5)
}

/** A document made of already-encoded elements. */
export function documentOf (parts: Buffer[]): Buffer {
  let len = 5
  for (const p of parts) len += p.length
  const out = Buffer.allocUnsafe(len)
  out.writeInt32LE(len, 0)
  let o = 4
  for (const p of parts) { p.copy(out, o); o += p.length }
  out[o] = 0
  return out
}

/** `_id` element bytes; strings (ingest's ids) and ObjectIds are written directly. */
export function idElement (id: unknown): Buffer {
  if (!writesIdInPlace(id)) return encodeElement('_id', id)
  const out = Buffer.allocUnsafe(idElementSize(id))
  writeIdElement(out, 0, id)
  return out
}

/** Whether writeIdElement writes this id itself: the kinds writes make (an ObjectId, a string). */
export function writesIdInPlace (id: unknown): id is ObjectId | string {
  return id instanceof ObjectId || typeof id === 'string'
}

/** Size of the `_id` element of an ObjectId or string id. */
export function idElementSize (id: ObjectId | string): number {
  return id instanceof ObjectId ? 1 + 4 + 12 : 1 + 4 + 4 + Buffer.byteLength(id, 'utf8') + 1
}

/** Writes the `_id` element of an ObjectId or string id at `at` in `out` (idElementSize bytes of room). */
export function writeIdElement (out: Buffer, at: number, id: ObjectId | string): void {
  out[at] = id instanceof ObjectId ? 7 : 2
  out[at + 1] = 0x5f; out[at + 2] = 0x69; out[at + 3] = 0x64; out[at + 4] = 0 // "_id"
  if (id instanceof ObjectId) { out.set(id.id, at + 5); return }
  const n = out.write(id, at + 9, 'utf8')
  out.writeInt32LE(n + 1, at + 5)
  out[at + 9 + n] = 0
}

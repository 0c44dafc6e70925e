// MongoDB wire protocol framing: OP_QUERY (legacy handshake) → OP_REPLY, and OP_MSG both ways.
import { BSON, ObjectId } from 'bson'
import type { Doc } from './values.js'
import { cstringEnd, documentOf, elements, idElement, idElementSize, latin1Write, RAW, withoutElement, writeIdElement, writesIdInPlace } from './bson-raw.js'
import { RawBatch } from './cursors.js'
import { commandError } from './errors.js'

export const OpCode = Object.freeze({ Reply: 1, Query: 2004, Msg: 2013, Compressed: 2012 } as const)
export const MsgFlags = Object.freeze({ ChecksumPresent: 1, MoreToCome: 2, ExhaustAllowed: 1 << 16 } as const)

// Longs stay Long (round trip), Int32/Double become numbers so mingo can compare them.
export const COMMAND_DESERIALIZE = Object.freeze({ promoteLongs: false, promoteValues: true, promoteBuffers: false })

export interface ParsedMessage { requestId: number; opCode: number; flags: number; command: Doc; db: string; legacy: boolean }

/** The length of the document at `p` in a document sequence that ends at `stop`; throws when it cannot be one. */
function entryLength (buf: Buffer, p: number, stop: number): number {
  const len = p + 4 <= stop ? buf.readInt32LE(p) : -1
  if (len < 5 || p + len > stop) throw new Error('a document sequence entry does not fit its section')
  return len
}

/** Parses one complete message (header included). Kind-1 document sequences are merged into the command body. */
export function parseMessage (buf: Buffer): ParsedMessage {
  const requestId = buf.readInt32LE(4)
  const opCode = buf.readInt32LE(12)
  if (opCode === OpCode.Msg) {
    const flags = buf.readUInt32LE(16)
    const end = (flags & MsgFlags.ChecksumPresent) !== 0 ? buf.length - 4 : buf.length
    let off = 20
    let command: Doc | null = null
    const sequences: Array<[string, Doc[] | StatementSequence]> = []
    while (off < end) {
      const kind = buf[off]
      off += 1
      if (kind === 0) {
        const len = buf.readInt32LE(off)
        command = BSON.deserialize(buf.subarray(off, off + len), COMMAND_DESERIALIZE) as Doc
        off += len
      } else if (kind === 1) {
        const size = buf.readInt32LE(off)
        const stop = off + size
        let p = off + 4
        const nul = buf.indexOf(0, p)
        // A section must hold its own size and name and end inside the message (else the loop would not advance).
        if (size < 6 || stop > end || nul < 0 || nul >= stop) throw new Error('a document sequence section does not fit the message')
        const id = buf.toString('utf8', p, nul)
        p = nul + 1
        if (id === 'updates') {
          const offsets: number[] = []
          while (p < stop) { offsets.push(p); p += entryLength(buf, p, stop) }
          sequences.push([id, new StatementSequence(buf, offsets)])
          off = stop
          continue
        }
        const docs: Doc[] = []
        while (p < stop) {
          const len = entryLength(buf, p, stop)
          const raw = buf.subarray(p, p + len)
          if (id === 'documents') {
            docs.push(new RawDocument(raw) as unknown as Doc)
          } else {
            const doc = BSON.deserialize(raw, COMMAND_DESERIALIZE) as Doc
            Object.defineProperty(doc, RAW, { value: raw })
            docs.push(doc)
          }
          p += len
        }
        sequences.push([id, docs])
        off = stop
      } else {
        throw new Error(`unsupported OP_MSG section kind ${String(kind)}`)
      }
    }
    if (command === null) throw new Error('OP_MSG without a body section')
    for (const [id, docs] of sequences) command[id] = docs
    return { requestId, opCode, flags, command, db: String(command.$db ?? 'admin'), legacy: false }
  }
  if (opCode === OpCode.Query) {
    let off = 20
    const nul = buf.indexOf(0, off)
    const ns = buf.toString('utf8', off, nul)
    off = nul + 1 + 8
    const len = buf.readInt32LE(off)
    let command = BSON.deserialize(buf.subarray(off, off + len), COMMAND_DESERIALIZE) as Doc
    // Legacy wrapping: {$query: {...}, $readPreference: ...}
    if (command.$query !== undefined && typeof command.$query === 'object') command = command.$query as Doc
    return { requestId, opCode, flags: 0, command, db: ns.split('.')[0] ?? 'admin', legacy: true }
  }
  throw new Error(`unsupported opCode ${opCode}`)
}

/**
 * An inserted document from a document sequence, left undecoded: the insert command stores these bytes as they are
 * (they live in the message buffer, so they must be copied or consumed before the handler returns).
 */
export class RawDocument {
  constructor (readonly bytes: Buffer) {}
  decode (): Doc { return BSON.deserialize(this.bytes, COMMAND_DESERIALIZE) as Doc }
}

/**
 * An update command's statements from a document sequence, each read from the message only when the update loop
 * reaches it. Built all at once, 10,000 statements (and their filters and byte views) would all be alive until the
 * command ends, and each young-generation GC meanwhile would copy them; read one at a time, each dies young.
 */
export class StatementSequence {
  constructor (private readonly buf: Buffer, private readonly offsets: number[]) {}
  get length (): number { return this.offsets.length }
  /** Statement i; a statement that is not valid BSON fails alone (a write error for its index), as it is read. */
  at (i: number): Doc {
    const p = this.offsets[i] as number
    try {
      return updateStatement(this.buf.subarray(p, p + this.buf.readInt32LE(p)))
    } catch (err) {
      throw commandError('InvalidBSON', `update statement ${i} is not valid BSON: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}

/** Names of an update statement's top-level `u` operators, read without decoding their values. */
export const U_KEYS = Symbol('atlaslens.updateKeys')
/** The bytes of `u.$setOnInsert` when it is u's only operator (what an ingest upsert inserts). */
export const SET_ON_INSERT = Symbol('atlaslens.setOnInsert')

/**
 * An update statement whose `u` is decoded only when first read: an upsert of `{$setOnInsert: doc}` that finds
 * its document already stored never needs `doc` (the common case when ingest re-reads a page), and one that inserts
 * it stores the client's bytes. The driver's usual shape (q, u, upsert, multi) is read without a general decode;
 * anything else (arrayFilters, collation, hint, a pipeline update) goes through `lazyUpdateStatement`.
 */
class UpdateStatement {
  q: Doc
  upsert: boolean | undefined
  multi: boolean | undefined
  readonly [RAW]: Buffer
  readonly [U_KEYS]: string[]
  readonly [SET_ON_INSERT]: Buffer | undefined
  private readonly uRaw: Buffer
  private decoded: Doc | undefined

  constructor (raw: Buffer, q: Doc, uRaw: Buffer, uKeys: string[], upsert: boolean | undefined, multi: boolean | undefined) {
    this.q = q
    this.upsert = upsert
    this.multi = multi
    this[RAW] = raw
    this[U_KEYS] = uKeys
    // u = {$setOnInsert: X}: 4 length bytes, type 3, "$setOnInsert\0" (13 bytes), then X.
    this[SET_ON_INSERT] = uKeys.length === 1 && uKeys[0] === '$setOnInsert' ? uRaw.subarray(18, 18 + uRaw.readInt32LE(18)) : undefined
    this.uRaw = uRaw
    this.decoded = undefined
  }

  get u (): Doc { return (this.decoded ??= BSON.deserialize(this.uRaw, COMMAND_DESERIALIZE) as Doc) }
}

/** Element names of a raw document whose values are documents (u's operators), or null when one is not. */
function operatorNames (doc: Buffer): string[] | null {
  const len = doc.readInt32LE(0)
  const out: string[] = []
  let pos = 4
  while (pos < len - 1) {
    if (doc[pos] !== 3) return null
    const nameEnd = cstringEnd(doc, pos + 1)
    const size = nameEnd + 5 <= len ? doc.readInt32LE(nameEnd + 1) : -1
    if (size < 5) return null // malformed: the general path's decode reports it
    out.push(doc.toString('utf8', pos + 1, nameEnd))
    pos = nameEnd + 1 + size
  }
  return out
}

function updateStatement (raw: Buffer): Doc {
  const len = raw.readInt32LE(0)
  let q: Buffer | null = null
  let u: Buffer | null = null
  let upsert: boolean | undefined
  let multi: boolean | undefined
  let pos = 4
  while (pos < len - 1) {
    const type = raw[pos] as number
    const nameAt = pos + 1
    const nameEnd = cstringEnd(raw, nameAt)
    const n = nameEnd - nameAt
    const valueAt = nameEnd + 1
    if (n === 1 && type === 3 && (raw[nameAt] === 0x71 || raw[nameAt] === 0x75)) { // 'q' | 'u'
      const sub = raw.subarray(valueAt, valueAt + raw.readInt32LE(valueAt))
      if (raw[nameAt] === 0x71) q = sub; else u = sub
      pos = valueAt + sub.length
    } else if (type === 8 && (n === 6 || n === 5)) {
      const name = raw.toString('latin1', nameAt, nameEnd)
      if (name === 'upsert') upsert = raw[valueAt] === 1
      else if (name === 'multi') multi = raw[valueAt] === 1
      else return lazyUpdateStatement(raw)
      pos = valueAt + 1
    } else return lazyUpdateStatement(raw)
  }
  if (q === null || u === null) return lazyUpdateStatement(raw)
  const uKeys = operatorNames(u)
  if (uKeys === null) return lazyUpdateStatement(raw)
  return new UpdateStatement(raw, stringsOnly(q) ?? BSON.deserialize(q, COMMAND_DESERIALIZE) as Doc, u, uKeys, upsert, multi) as unknown as Doc
}

/** A filter whose values are all strings (`{_id}`, a site + record id key) decoded by hand; null otherwise. */
function stringsOnly (doc: Buffer): Doc | null {
  const len = doc.readInt32LE(0)
  const out: Doc = {}
  let pos = 4
  while (pos < len - 1) {
    if (doc[pos] !== 2) return null
    const nameEnd = cstringEnd(doc, pos + 1)
    const n = doc.readInt32LE(nameEnd + 1)
    const at = nameEnd + 5
    if (n < 1 || at + n > len || doc[at + n - 1] !== 0) return null
    const name = doc.toString('utf8', pos + 1, nameEnd)
    if (name === '__proto__' || name in out) return null
    out[name] = doc.toString('utf8', at, at + n - 1)
    pos = at + n
  }
  return out
}

/** The general form: everything but `u` decoded now, `u` on first read. */
function lazyUpdateStatement (raw: Buffer): Doc {
  const els = elements(raw)
  const u = els.get('u')
  if (u === undefined || u[3] !== 3) {
    const whole = BSON.deserialize(raw, COMMAND_DESERIALIZE) as Doc
    Object.defineProperty(whole, RAW, { value: raw })
    return whole
  }
  const [start, valueAt, end] = u
  const doc = BSON.deserialize(withoutElement(raw, start, end), COMMAND_DESERIALIZE) as Doc
  Object.defineProperty(doc, RAW, { value: raw })
  const uRaw = raw.subarray(valueAt, end)
  let decoded: Doc | undefined
  Object.defineProperty(doc, 'u', {
    enumerable: true,
    configurable: true,
    get: () => (decoded ??= BSON.deserialize(uRaw, COMMAND_DESERIALIZE) as Doc)
  })
  Object.defineProperty(doc, U_KEYS, { value: [...elements(uRaw).keys()] })
  return doc
}

let nextResponseId = 1

function serializedElements (doc: Doc): Buffer {
  const b = BSON.serialize(doc, { ignoreUndefined: true })
  return Buffer.from(b.buffer, b.byteOffset + 4, b.length - 5)
}

function embedded (type: number, name: string, doc: Buffer): Buffer {
  const n = Buffer.byteLength(name, 'utf8')
  const out = Buffer.allocUnsafe(1 + n + 1 + doc.length)
  out[0] = type
  out.write(name, 1, 'utf8')
  out[1 + n] = 0
  doc.copy(out, 2 + n)
  return out
}

/** A BSON array of stored documents, their bytes copied straight from the Latin-1 strings. */
function rawArray (docs: readonly string[]): Buffer {
  let len = 5
  for (let i = 0; i < docs.length; i++) len += 2 + String(i).length + (docs[i] as string).length
  const out = Buffer.allocUnsafe(len)
  out.writeInt32LE(len, 0)
  let o = 4
  for (let i = 0; i < docs.length; i++) {
    out[o++] = 3
    o += out.write(String(i), o, 'latin1')
    out[o++] = 0
    o += latin1Write(out, docs[i] as string, o)
  }
  out[o] = 0
  return out
}

/** `index` (int32) element head: type 0x10, "index", NUL. */
const INDEX_HEAD = Buffer.from([0x10, 0x69, 0x6e, 0x64, 0x65, 0x78, 0])

/** Writes the decimal digits of a non-negative integer at `o`; returns the position after them. */
function writeDecimal (out: Buffer, o: number, n: number): number {
  const s = String(n)
  for (let j = 0; j < s.length; j++) out[o++] = s.charCodeAt(j)
  return o
}

/**
 * The reply's `upserted` array ([{index, _id}, ...]) written straight into one buffer: a bulk upsert of 10,000 new
 * documents answers with 10,000 entries. ObjectId and string ids (what upserts make) are written in place.
 */
function upsertedArray (entries: ReadonlyArray<{ index: number; _id: unknown }>): Buffer {
  // Other id kinds are encoded once, here; the rest are sized now and written below.
  const ids = entries.map((e) => writesIdInPlace(e._id) ? e._id : idElement(e._id))
  const sizeOf = (id: ObjectId | string | Buffer): number => Buffer.isBuffer(id) ? id.length : idElementSize(id)
  let len = 5
  for (let i = 0; i < ids.length; i++) len += 2 + String(i).length + 4 + 11 + sizeOf(ids[i] as ObjectId | string | Buffer) + 1
  const out = Buffer.allocUnsafe(len)
  out.writeInt32LE(len, 0)
  let o = 4
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as ObjectId | string | Buffer
    const n = sizeOf(id)
    out[o++] = 3
    o = writeDecimal(out, o, i)
    out[o++] = 0
    out.writeInt32LE(4 + 11 + n + 1, o); o += 4
    INDEX_HEAD.copy(out, o); o += INDEX_HEAD.length
    out.writeInt32LE((entries[i] as { index: number }).index, o); o += 4
    if (Buffer.isBuffer(id)) id.copy(out, o); else writeIdElement(out, o, id)
    o += n
    out[o++] = 0
  }
  out[o] = 0
  return out
}

function isUpsertedList (v: unknown): v is Array<{ index: number; _id: unknown }> {
  return Array.isArray(v) && v.every((e: Doc) => Object.keys(e).length === 2 && Number.isInteger(e.index) && (e.index as number) < 2 ** 31 && e._id !== undefined)
}

/** Serialises a reply; a cursor batch of stored documents goes out as their bytes (no decode and re-encode). */
export function serializeBody (body: Doc): Buffer {
  const cursor = body.cursor as Doc | undefined
  const key = cursor === undefined || cursor === null ? null : cursor.firstBatch instanceof RawBatch ? 'firstBatch' : cursor.nextBatch instanceof RawBatch ? 'nextBatch' : null
  if (key === null) {
    if (isUpsertedList(body.upserted)) {
      const { upserted, ...rest } = body
      return documentOf([serializedElements(rest), embedded(4, 'upserted', upsertedArray(upserted as Array<{ index: number; _id: unknown }>))])
    }
    const b = BSON.serialize(body, { ignoreUndefined: true })
    return Buffer.from(b.buffer, b.byteOffset, b.length)
  }
  const { [key]: batch, ...cursorRest } = cursor as Doc
  const { cursor: _cursor, ...bodyRest } = body
  const cursorDoc = documentOf([embedded(4, key, rawArray((batch as RawBatch).docs)), serializedElements(cursorRest)])
  return documentOf([embedded(3, 'cursor', cursorDoc), serializedElements(bodyRest)])
}

export function encodeMsg (responseTo: number, body: Doc): Buffer {
  const doc = serializeBody(body)
  const header = Buffer.allocUnsafe(21)
  header.writeInt32LE(21 + doc.length, 0)
  header.writeInt32LE(nextResponseId++, 4)
  header.writeInt32LE(responseTo, 8)
  header.writeInt32LE(OpCode.Msg, 12)
  header.writeUInt32LE(0, 16)
  header[20] = 0
  return Buffer.concat([header, doc])
}

export function encodeReply (responseTo: number, body: Doc): Buffer {
  const doc = serializeBody(body)
  const header = Buffer.allocUnsafe(36)
  header.writeInt32LE(36 + doc.length, 0)
  header.writeInt32LE(nextResponseId++, 4)
  header.writeInt32LE(responseTo, 8)
  header.writeInt32LE(OpCode.Reply, 12)
  header.writeInt32LE(0, 16)
  header.writeBigInt64LE(0n, 20)
  header.writeInt32LE(0, 28)
  header.writeInt32LE(1, 32)
  return Buffer.concat([header, doc])
}

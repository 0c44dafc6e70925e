// MongoDB wire protocol framing: OP_QUERY (legacy handshake) → OP_REPLY, and OP_MSG both ways.
import { BSON } from 'bson'
import type { Doc } from './values.js'
import { documentOf, elements, latin1Write, RAW, withoutElement } from './bson-raw.js'
import { RawBatch } from './cursors.js'

export const OpCode = Object.freeze({ Reply: 1, Query: 2004, Msg: 2013, Compressed: 2012 } as const)
export const MsgFlags = Object.freeze({ ChecksumPresent: 1, MoreToCome: 2, ExhaustAllowed: 1 << 16 } as const)

// Longs stay Long (round trip), Int32/Double become numbers so mingo can compare them.
export const COMMAND_DESERIALIZE = Object.freeze({ promoteLongs: false, promoteValues: true, promoteBuffers: false })

export interface ParsedMessage { requestId: number; opCode: number; flags: number; command: Doc; db: string; legacy: boolean }

/** Parses one complete message (header included). Kind-1 document sequences are merged into the command body. */
export function parseMessage (buf: Buffer): ParsedMessage {
  const requestId = buf.readInt32LE(4)
  const opCode = buf.readInt32LE(12)
  if (opCode === OpCode.Msg) {
    const flags = buf.readUInt32LE(16)
    const end = (flags & MsgFlags.ChecksumPresent) !== 0 ? buf.length - 4 : buf.length
    let off = 20
    let command: Doc | null = null
    const sequences: Array<[string, Doc[]]> = []
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
        const id = buf.toString('utf8', p, nul)
        p = nul + 1
        const docs: Doc[] = []
        while (p < stop) {
          const len = buf.readInt32LE(p)
          const raw = buf.subarray(p, p + len)
          if (id === 'documents') {
            docs.push(new RawDocument(raw) as unknown as Doc)
          } else {
            const doc = id === 'updates' ? lazyUpdateStatement(raw) : BSON.deserialize(raw, COMMAND_DESERIALIZE) as Doc
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

/** Names of an update statement's top-level `u` operators, read without decoding their values. */
export const U_KEYS = Symbol('atlaslens.updateKeys')

/**
 * An update statement whose `u` is decoded only when first read: an upsert of `{$setOnInsert: doc}` that finds
 * its document already stored never needs `doc` (the common case when ingest re-reads a page).
 */
function lazyUpdateStatement (raw: Buffer): Doc {
  const els = elements(raw)
  const u = els.get('u')
  if (u === undefined || u[3] !== 3) return BSON.deserialize(raw, COMMAND_DESERIALIZE) as Doc
  const [start, valueAt, end] = u
  const doc = BSON.deserialize(withoutElement(raw, start, end), COMMAND_DESERIALIZE) as Doc
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

/** Serialises a reply; a cursor batch of stored documents goes out as their bytes (no decode and re-encode). */
export function serializeBody (body: Doc): Buffer {
  const cursor = body.cursor as Doc | undefined
  const key = cursor === undefined || cursor === null ? null : cursor.firstBatch instanceof RawBatch ? 'firstBatch' : cursor.nextBatch instanceof RawBatch ? 'nextBatch' : null
  if (key === null) {
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

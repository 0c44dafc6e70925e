// Stored documents are their BSON bytes held as a Latin-1 string (one byte per char): compact, and never scanned
// by the GC. Nothing keeps a decoded copy; every read decodes a fresh object, so readers cannot change stored data.
import { BSON } from 'bson'
import { latin1Write, readFields } from './bson-raw.js'
import type { Doc } from './values.js'

export type StoredDoc = string

// Same options as commands (wire-protocol's COMMAND_DESERIALIZE): Int32/Double → numbers, Longs stay Long.
const DECODE = Object.freeze({ promoteLongs: false, promoteValues: true, promoteBuffers: false })

let scratch = Buffer.allocUnsafe(64 * 1024)

/**
 * The stored bytes in a shared scratch buffer, valid only until the next call: only for readFields, which copies
 * whatever it keeps (its Binary values come from a private copy of their element).
 */
function view (s: StoredDoc): Buffer {
  if (s.length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(s.length, scratch.length * 2))
  latin1Write(scratch, s)
  // The whole scratch, not a subarray (one allocation less per read): readers take the length from the document.
  return scratch
}

export function fromBytes (bytes: Uint8Array): StoredDoc {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return b.toString('latin1')
}

/** A fresh Buffer holding the stored bytes (for the journal and replies). */
export function toBytes (s: StoredDoc): Buffer { return Buffer.from(s, 'latin1') }

export function encode (doc: Doc): Buffer {
  const b = BSON.serialize(doc, { ignoreUndefined: true })
  return Buffer.from(b.buffer, b.byteOffset, b.length)
}

/** The whole document, as a fresh mutable object (from fresh bytes: decoded Binary values keep referencing them). */
export function decode (s: StoredDoc): Doc { return BSON.deserialize(toBytes(s), DECODE) as Doc }

/** Only the named top-level fields (or the whole document when `names` is null). */
export function decodeFields (s: StoredDoc, names: ReadonlySet<string> | null): Doc {
  return names === null ? decode(s) : readFields(view(s), names)
}

const ID = new Set(['_id'])
export function idOf (s: StoredDoc): unknown { return readFields(view(s), ID)._id }

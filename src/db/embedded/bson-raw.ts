// Finding a sub-document's bytes inside a raw BSON message, so a stored document can be journaled without
// serialising it again (the ingest path inserts `$setOnInsert` documents exactly as the client sent them).

/** Non-enumerable link from a decoded command document to its raw bytes. */
export const RAW = Symbol('atlaslens.rawBson')

function cstringEnd (buf: Buffer, pos: number): number {
  const end = buf.indexOf(0, pos)
  if (end < 0) throw new Error('unterminated cstring')
  return end
}

function valueSize (buf: Buffer, type: number, pos: number): number {
  switch (type) {
    case 1: case 9: case 17: case 18: return 8
    case 2: case 13: case 14: return 4 + buf.readInt32LE(pos)
    case 3: case 4: case 15: return buf.readInt32LE(pos)
    case 5: return 5 + buf.readInt32LE(pos)
    case 6: case 10: case 0x7f: case 0xff: return 0
    case 7: return 12
    case 8: return 1
    case 11: { const a = cstringEnd(buf, pos); return cstringEnd(buf, a + 1) + 1 - pos }
    case 12: return 4 + buf.readInt32LE(pos) + 12
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

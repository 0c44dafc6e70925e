// Command handlers: the subset of MongoDB's command set that the driver and AtlasLens use, with mongod's reply shapes.
import { Aggregator, Query } from 'mingo'
import { Long, ObjectId } from 'bson'
import type { Collection } from './collection.js'
import { documentOf, elementBytes, elementValueSize, encodeElement, firstKey, idElement, idElementSize, RAW, readFields, subDocument, writeIdElement, writesIdInPlace } from './bson-raw.js'
import { RawDocument, SET_ON_INSERT, StatementSequence, U_KEYS } from './wire-protocol.js'
import { CommandError, commandError } from './errors.js'
import type { Engine } from './engine.js'
import type { CursorItem, CursorManager } from './cursors.js'
import type { OpLatencies } from './op-latencies.js'
import { groupFields, nativeGroup } from './group-stage.js'
import { decode, decodeFields, idOf, type StoredDoc } from './stored-doc.js'
import { pathFields } from './needed-fields.js'
import { makeProjector, type Plan } from './query-planner.js'
import type { IndexSpec } from './sorted-index.js'
import { applyUpdate, isOperatorUpdate, seedFromFilter } from './update-ops.js'
import { getPath, toNumber, valueKey, valuesEqual, type Doc } from './values.js'

export interface CommandContext { engine: Engine; cursors: CursorManager; connectionId: number; startedAt: Date; opLatencies: OpLatencies }
type Handler = (cmd: Doc, db: string, ctx: CommandContext) => Doc

const MAX_WIRE = 21

function num (v: unknown, dflt?: number): number | undefined {
  if (v === undefined || v === null) return dflt
  return toNumber(v)
}

function collName (cmd: Doc, key: string): string {
  const v = cmd[key]
  if (typeof v !== 'string' || v.length === 0) throw commandError('InvalidNamespace', `collection name has invalid type ${typeof v}`)
  return v
}

function hello (cmd: Doc, _db: string, ctx: CommandContext): Doc {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE,
    readOnly: false,
    ok: 1
  }
}

function writeErrorOf (err: unknown, index: number): Doc {
  if (err instanceof CommandError) return { index, code: err.code, errmsg: err.message, ...err.extra }
  return { index, code: 1, errmsg: err instanceof Error ? err.message : String(err) }
}

function insert (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const c = engine.collection(db, collName(cmd, 'insert'), true) as Collection
  const docs = (cmd.documents ?? []) as Doc[]
  const ordered = cmd.ordered !== false
  let n = 0
  const writeErrors: Doc[] = []
  for (let i = 0; i < docs.length; i++) {
    try { insertOne(engine, c, docs[i] as Doc | RawDocument); n++ } catch (err) {
      writeErrors.push(writeErrorOf(err, i))
      if (ordered) break
    }
  }
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 }
}

/**
 * Inserts a document; one from a document sequence that leads with its _id (the driver puts it first) is stored
 * as the client's bytes without being decoded, one without an _id gets a new ObjectId spliced in front.
 */
function insertOne (engine: Engine, c: Collection, d: Doc | RawDocument): void {
  if (!(d instanceof RawDocument)) { engine.insertNew(c, d); return }
  const first = firstKey(d.bytes)
  if (first === '_id') { engine.insertBytes(c, Buffer.from(d.bytes)); return }
  const els = elementBytes(d.bytes)
  if (els.some(([name]) => name === '_id')) { engine.insertNew(c, d.decode()); return }
  engine.insertBytes(c, documentOf([encodeElement('_id', new ObjectId()), ...els.map(([, b]) => b)]))
}

function isScalarId (id: unknown): boolean {
  return id === null || typeof id !== 'object' || id instanceof ObjectId || id instanceof Date || id instanceof Long
}

function matchingDocs (c: Collection | undefined, filter: Doc, multi: boolean, sort?: Doc, collation?: Doc): StoredDoc[] {
  if (c === undefined) return []
  // Hot path for ingest: {_id: <scalar>} is a hash lookup, no planning.
  const keys = Object.keys(filter)
  if (keys.length === 1 && keys[0] === '_id' && isScalarId(filter._id)) {
    const s = c.getRawById(filter._id)
    return s === undefined ? [] : [s]
  }
  // Upserts by a unique key (e.g. site + record id): one index lookup, no planning.
  if (sort === undefined && collation === undefined && keys.length > 0 && keys.every((k) => !k.startsWith('$') && filter[k] !== null && isScalarId(filter[k]))) {
    const found = c.uniqueMatches(filter, keys)
    if (found !== undefined) return multi ? found : found.slice(0, 1)
  }
  const opts: Parameters<Collection['find']>[0] = { filter, limit: multi ? 0 : 1 }
  if (sort !== undefined) opts.sort = sort
  if (collation !== undefined) opts.collation = collation
  return c.find(opts).raws
}

interface UpdateResult { n: number; nModified: number; upsertedId?: unknown; doc?: () => Doc; before?: () => Doc }

/**
 * The document an upsert of `{$setOnInsert: X}` with a plain equality filter inserts, built from the client's bytes
 * of X without decoding it: _id (from X, the filter or a new ObjectId), then the filter's other fields (X's element
 * when X sets the same field: $setOnInsert wins), then X's remaining fields, in the order the decoded path gives.
 * Null when anything is unusual (operators or dotted paths in the filter, dotted or $ names in X, an _id in X that
 * differs from the filter's): the decoded path then applies the update and reports errors as before.
 */
/** A filter's field names, prepared once per distinct key list (ingest repeats the same filter shape). */
interface FilterShape { keys: ReadonlySet<string>; others: string[]; otherNames: Buffer[] }
const filterShapes = new Map<string, FilterShape>()

let lastShape: { keys: string[]; shape: FilterShape } | null = null

function filterShape (qKeys: string[]): FilterShape {
  // A bulk write repeats one shape thousands of times: compare with the last one before building a map key.
  if (lastShape !== null && lastShape.keys.length === qKeys.length && lastShape.keys.every((k, i) => k === qKeys[i])) return lastShape.shape
  const id = qKeys.join('\u0000')
  let shape = filterShapes.get(id)
  if (shape === undefined) {
    if (filterShapes.size > 100) filterShapes.clear()
    const others = qKeys.filter((k) => k !== '_id')
    shape = { keys: new Set(qKeys), others, otherNames: others.map((k) => Buffer.from(k, 'utf8')) }
    filterShapes.set(id, shape)
  }
  lastShape = { keys: qKeys, shape }
  return shape
}

function sameBytes (a: Buffer, b: Buffer, at: number, end: number): boolean {
  if (a.length !== end - at) return false
  for (let j = 0; j < a.length; j++) if (a[j] !== b[at + j]) return false
  return true
}

/** The string value of the element at `span` in `x`, or undefined when it is not a string. */
function stringAt (x: Buffer, span: [number, number] | undefined): string | undefined {
  if (span === undefined || x[span[0]] !== 2) return undefined
  let p = span[0] + 1
  while (x[p] !== 0) p++
  return x.toString('utf8', p + 5, span[1] - 1)
}

/** Whether `x` has each of the filter's fields as a string equal to the filter's. */
function repeatsStrings (x: Buffer, q: Doc, fields: string[], spans: Array<[number, number] | undefined>): boolean {
  for (let i = 0; i < fields.length; i++) {
    const v = q[fields[i] as string]
    if (typeof v !== 'string' || stringAt(x, spans[i]) !== v) return false
  }
  return true
}

/** `_id` element, then every element of `x` (which has no _id). */
function withLeadingId (x: Buffer, len: number, id: unknown): Buffer {
  if (!writesIdInPlace(id)) return documentOf([idElement(id), x.subarray(4, len - 1)])
  const n = idElementSize(id)
  const out = Buffer.allocUnsafe(len + n)
  out.writeInt32LE(out.length, 0)
  writeIdElement(out, 4, id)
  x.copy(out, 4 + n, 4, len)
  return out
}

/** An upsert's new document; `known` holds values the caller already has (its _id, the filter's fields). */
interface UpsertDoc { bytes: Buffer; known: Doc }

function upsertBytes (x: Buffer | null, q: Doc): UpsertDoc | null {
  if (x === null) return null
  const qKeys = Object.keys(q)
  for (const k of qKeys) if (k.startsWith('$') || k.includes('.') || !isScalarId(q[k]) || q[k] === null) return null
  const { keys: qKeySet, others, otherNames } = filterShape(qKeys)
  const otherSpans: Array<[number, number] | undefined> = others.length === 0 ? [] : others.map(() => undefined)
  const len = x.readInt32LE(0)
  let idSpan: [number, number] | null = null
  let pos = 4
  while (pos < len - 1) {
    const type = x[pos] as number
    const nameAt = pos + 1
    if (x[nameAt] === 0x24) return null // '$'
    let nameEnd = nameAt
    while (x[nameEnd] !== 0) { if (x[nameEnd] === 0x2e || nameEnd >= len) return null; nameEnd++ } // '.'
    const end = nameEnd + 1 + elementValueSize(x, type, nameEnd + 1)
    if (nameEnd - nameAt === 3 && x[nameAt] === 0x5f && x[nameAt + 1] === 0x69 && x[nameAt + 2] === 0x64) idSpan = [pos, end]
    else {
      for (let i = 0; i < otherNames.length; i++) {
        if (sameBytes(otherNames[i] as Buffer, x, nameAt, nameEnd)) otherSpans[i] = [pos, end]
      }
    }
    pos = end
  }
  // Ingest's shape: filter {_id}, X without an _id: the _id, then X's elements (one copy).
  if (others.length === 0 && idSpan === null) {
    const id = '_id' in q ? q._id : new ObjectId()
    return { bytes: withLeadingId(x, len, id), known: { _id: id } }
  }
  // A unique key of strings that X repeats exactly, no _id anywhere: a new ObjectId, then X's elements (what the
  // general path below builds, without decoding X).
  if (idSpan === null && !('_id' in q) && repeatsStrings(x, q, others, otherSpans)) {
    const id = new ObjectId()
    const known: Doc = { _id: id }
    for (const k of others) known[k] = q[k]
    return { bytes: withLeadingId(x, len, id), known }
  }
  // Mirror applyUpdate: when X repeats every filter field with an equal value it is inserted as is (X's order),
  // otherwise the filter's fields come first (X's element where it sets a different value), then X's other fields.
  const inX = readFields(x, qKeySet)
  const equalInX = (k: string): boolean => k in inX && valuesEqual(inX[k], q[k])
  // $setOnInsert leaves a seeded field alone only if the value is equal and of the same JS type (update-ops setPath).
  const keepsSeed = (k: string): boolean => equalInX(k) && typeof inX[k] === typeof q[k]
  if (idSpan !== null && '_id' in q && !equalInX('_id')) return null
  const fresh = qKeys.every(equalInX)
  if (fresh && others.length === 0 && idSpan !== null && idSpan[0] === 4) return { bytes: x, known: {} }
  const parts: Buffer[] = []
  if (idSpan !== null && !('_id' in q && !fresh && keepsSeed('_id'))) parts.push(x.subarray(idSpan[0], idSpan[1]))
  else parts.push(idElement('_id' in q ? q._id : new ObjectId()))
  if (!fresh) others.forEach((k, i) => { const sp = otherSpans[i]; parts.push(sp !== undefined && !keepsSeed(k) ? x.subarray(sp[0], sp[1]) : encodeElement(k, q[k])) })
  const skip = (fresh ? [idSpan] : [idSpan, ...otherSpans]).filter((sp): sp is [number, number] => sp !== undefined && sp !== null).sort((p1, p2) => p1[0] - p2[0])
  let from = 4
  for (const [start, end] of skip) { if (start > from) parts.push(x.subarray(from, start)); from = end }
  if (len - 1 > from) parts.push(x.subarray(from, len - 1))
  return { bytes: documentOf(parts), known: {} }
}

/** The bytes of `u.$setOnInsert` of a statement from a document sequence (null when it has none or is not raw). */
function setOnInsertBytes (op: Doc): Buffer | null {
  const known = (op as { [SET_ON_INSERT]?: Buffer })[SET_ON_INSERT]
  if (known !== undefined) return known
  const raw = (op as { [RAW]?: Buffer })[RAW]
  return raw === undefined ? null : subDocument(raw, ['u', '$setOnInsert'])
}

function updateOne (engine: Engine, db: string, coll: string, q: Doc, getU: () => Doc | Doc[], opts: { multi: boolean; upsert: boolean; arrayFilters?: Doc[]; sort?: Doc; collation?: Doc; statement?: Doc; onlyOnInsert?: boolean }): UpdateResult {
  let c = engine.collection(db, coll, false)
  const matches = matchingDocs(c, q, opts.multi, opts.sort, opts.collation)
  // An existing document and an update that only has $setOnInsert: nothing to do (and no need to decode it).
  if (matches.length > 0 && opts.onlyOnInsert === true) {
    const m = matches[matches.length - 1] as StoredDoc
    return { n: matches.length, nModified: 0, doc: () => decode(m), before: () => decode(m) }
  }
  // An upsert that inserts a $setOnInsert document: stored from the client's bytes, never decoded.
  if (matches.length === 0 && opts.upsert && opts.onlyOnInsert === true && opts.statement !== undefined && opts.arrayFilters === undefined) {
    const made = upsertBytes(setOnInsertBytes(opts.statement), q)
    if (made !== null) {
      c = engine.collection(db, coll, true) as Collection
      const id = engine.insertBytes(c, made.bytes, made.known)
      return { n: 1, nModified: 0, upsertedId: id, doc: () => decode(c?.getRawById(id) as StoredDoc) }
    }
  }
  const u = getU()
  if (opts.multi && !Array.isArray(u) && !isOperatorUpdate(u)) throw commandError('FailedToParse', 'multi update is not supported for replacement-style update')
  if (matches.length === 0) {
    if (!opts.upsert) return { n: 0, nModified: 0 }
    c = engine.collection(db, coll, true) as Collection
    const seed = seedFromFilter(q)
    let doc: Doc
    if (Array.isArray(u) || isOperatorUpdate(u)) {
      doc = applyUpdate(seed, u, true, opts.arrayFilters).doc
    } else {
      doc = { ...(u as Doc) }
      if (doc._id === undefined && seed._id !== undefined) doc = { _id: seed._id, ...doc }
    }
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc }
    else if (Object.keys(doc)[0] !== '_id') { const { _id, ...rest } = doc; doc = { _id, ...rest } }
    const stored = engine.insertNew(c, doc)
    return { n: 1, nModified: 0, upsertedId: doc._id, doc: () => decodeBytes(stored) }
  }
  let nModified = 0
  let last: (() => Doc) | undefined
  let before: StoredDoc | undefined
  for (const s of matches) {
    // Decode, apply, re-encode once. The decoded copy is private; the old bytes stay valid for `before`.
    const { doc, changed } = applyUpdate(decode(s), u, false, opts.arrayFilters, q)
    before = s
    if (changed) {
      const stored = engine.put(c as Collection, doc)
      last = () => decodeBytes(stored)
      nModified++
    } else last = () => decode(s)
  }
  const out: UpdateResult = { n: matches.length, nModified }
  if (last !== undefined) out.doc = last
  if (before !== undefined) { const b = before; out.before = () => decode(b) }
  return out
}

function decodeBytes (bytes: Buffer): Doc {
  return decode(bytes.toString('latin1'))
}

function update (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const coll = collName(cmd, 'update')
  const ops = (cmd.updates ?? []) as Doc[] | StatementSequence
  const ordered = cmd.ordered !== false
  let n = 0; let nModified = 0
  const upserted: Doc[] = []
  const writeErrors: Doc[] = []
  for (let i = 0; i < ops.length; i++) {
    try {
      const op = (ops instanceof StatementSequence ? ops.at(i) : ops[i]) as Doc
      const opts: Parameters<typeof updateOne>[5] = { multi: op.multi === true, upsert: op.upsert === true }
      if (op.arrayFilters !== undefined) opts.arrayFilters = op.arrayFilters as Doc[]
      if (op.collation !== undefined) opts.collation = op.collation as Doc
      opts.statement = op
      const uKeys = (op as { [U_KEYS]?: string[] })[U_KEYS]
      if (uKeys !== undefined && uKeys.length === 1 && uKeys[0] === '$setOnInsert') opts.onlyOnInsert = true
      const r = updateOne(engine, db, coll, (op.q ?? {}) as Doc, () => op.u as Doc, opts)
      n += r.n; nModified += r.nModified
      if (r.upsertedId !== undefined) upserted.push({ index: i, _id: r.upsertedId })
    } catch (err) {
      writeErrors.push(writeErrorOf(err, i))
      if (ordered) break
    }
  }
  const out: Doc = { n, nModified }
  if (upserted.length > 0) out.upserted = upserted
  if (writeErrors.length > 0) out.writeErrors = writeErrors
  out.ok = 1
  return out
}

function del (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const c = engine.collection(db, collName(cmd, 'delete'), false)
  const ops = (cmd.deletes ?? []) as Doc[]
  const ordered = cmd.ordered !== false
  let n = 0
  const writeErrors: Doc[] = []
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Doc
    try {
      const docs = matchingDocs(c, (op.q ?? {}) as Doc, num(op.limit, 0) !== 1, undefined, op.collation as Doc | undefined)
      for (const s of docs) if (engine.remove(c as Collection, idOf(s))) n++
    } catch (err) {
      writeErrors.push(writeErrorOf(err, i))
      if (ordered) break
    }
  }
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 }
}

function findAndModify (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const coll = typeof cmd.findAndModify === 'string' ? cmd.findAndModify : collName(cmd, 'findandmodify')
  const q = (cmd.query ?? {}) as Doc
  const sort = cmd.sort as Doc | undefined
  const project = makeProjector(cmd.fields as Doc | undefined)
  const shape = (d: Doc | undefined | null): Doc | null => d === undefined || d === null ? null : project !== null ? project(d) : d
  if (cmd.remove === true) {
    const c = engine.collection(db, coll, false)
    const [s] = matchingDocs(c, q, false, sort, cmd.collation as Doc | undefined)
    const doc = s !== undefined ? decode(s) : undefined
    if (doc !== undefined) engine.remove(c as Collection, doc._id)
    return { lastErrorObject: { n: doc !== undefined ? 1 : 0 }, value: shape(doc), ok: 1 }
  }
  if (cmd.update === undefined) throw commandError('FailedToParse', 'Either an update or remove=true must be specified')
  const opts: Parameters<typeof updateOne>[5] = { multi: false, upsert: cmd.upsert === true }
  if (sort !== undefined) opts.sort = sort
  if (cmd.arrayFilters !== undefined) opts.arrayFilters = cmd.arrayFilters as Doc[]
  if (cmd.collation !== undefined) opts.collation = cmd.collation as Doc
  const r = updateOne(engine, db, coll, q, () => cmd.update as Doc, opts)
  const lastErrorObject: Doc = { n: r.n, updatedExisting: r.n > 0 && r.upsertedId === undefined }
  if (r.upsertedId !== undefined) lastErrorObject.upserted = r.upsertedId
  const value = cmd.new === true ? r.doc?.() : (r.upsertedId !== undefined ? null : r.before?.())
  return { lastErrorObject, value: shape(value), ok: 1 }
}

function explainFind (c: Collection | undefined, plan: Plan | null, cmd: Doc, stats: { nReturned: number; examined: number } | null): Doc {
  const ns = `${c?.db ?? ''}.${c?.name ?? ''}`
  let stage: Doc
  if (plan?.idLookup !== undefined) stage = { stage: 'IDHACK', indexName: '_id_', keyPattern: { _id: 1 } }
  else if (plan?.index != null) {
    stage = {
      stage: 'FETCH',
      inputStage: { stage: 'IXSCAN', indexName: plan.index.spec.name, keyPattern: plan.index.spec.key, isMultiKey: false, direction: plan.dir === 1 ? 'forward' : 'backward' }
    }
  } else stage = { stage: 'COLLSCAN', filter: cmd.filter ?? {}, direction: 'forward' }
  const sort = cmd.sort as Doc | undefined
  if (sort !== undefined && Object.keys(sort).length > 0 && plan?.sortCovered !== true) {
    stage = { stage: 'SORT', sortPattern: sort, ...(cmd.limit !== undefined ? { limitAmount: cmd.limit } : {}), inputStage: stage }
  } else if (num(cmd.limit, 0) !== 0) stage = { stage: 'LIMIT', limitAmount: cmd.limit, inputStage: stage }
  const out: Doc = { queryPlanner: { namespace: ns, parsedQuery: cmd.filter ?? {}, winningPlan: stage, rejectedPlans: [] } }
  if (stats !== null) out.executionStats = { nReturned: stats.nReturned, totalDocsExamined: stats.examined, totalKeysExamined: plan?.index != null || plan?.idLookup !== undefined ? stats.examined : 0, executionTimeMillis: 0 }
  return out
}

function find (cmd: Doc, db: string, { engine, cursors }: CommandContext): Doc {
  const name = collName(cmd, 'find')
  const c = engine.collection(db, name, false)
  const limitRaw = num(cmd.limit, 0) as number
  const opts: Parameters<Collection['find']>[0] = { skip: num(cmd.skip, 0) as number, limit: Math.abs(limitRaw) }
  if (cmd.filter !== undefined) opts.filter = cmd.filter as Doc
  if (cmd.sort !== undefined) opts.sort = cmd.sort as Doc
  if (cmd.collation !== undefined) opts.collation = cmd.collation as Doc
  const docs = c !== undefined ? c.find(opts).raws : []
  const batchSize = num(cmd.batchSize)
  return cursors.first(`${db}.${name}`, docs, makeProjector(cmd.projection as Doc | undefined), batchSize, cmd.singleBatch === true || limitRaw < 0)
}

function getMore (cmd: Doc, db: string, { cursors }: CommandContext): Doc {
  const raw = cmd.getMore
  const id = raw instanceof Long ? raw.toBigInt() : BigInt(toNumber(raw))
  const r = cursors.more(id, num(cmd.batchSize))
  if (r === null) throw commandError('CursorNotFound', `cursor id ${id} not found`)
  return { cursor: { nextBatch: r.batch, id: Long.fromBigInt(r.exhausted ? 0n : id), ns: r.ns }, ok: 1 }
}

function killCursors (cmd: Doc, _db: string, { cursors }: CommandContext): Doc {
  const killed: Long[] = []; const notFound: Long[] = []
  for (const raw of (cmd.cursors ?? []) as unknown[]) {
    const id = raw instanceof Long ? raw.toBigInt() : BigInt(toNumber(raw))
    ;(cursors.kill(id) ? killed : notFound).push(Long.fromBigInt(id))
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 }
}

function count (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const c = engine.collection(db, collName(cmd, 'count'), false)
  if (c === undefined) return { n: 0, ok: 1 }
  const q = cmd.query as Doc | undefined
  const skip = num(cmd.skip, 0) as number
  const limit = Math.abs(num(cmd.limit, 0) as number)
  let n: number
  if ((q === undefined || Object.keys(q).length === 0)) n = c.docs.size
  else n = c.find({ filter: q }).raws.length
  n = Math.max(0, n - skip)
  if (limit > 0) n = Math.min(n, limit)
  return { n, ok: 1 }
}

function distinct (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const c = engine.collection(db, collName(cmd, 'distinct'), false)
  const key = String(cmd.key)
  const seen = new Map<string, unknown>()
  const docs = c !== undefined ? c.find({ filter: (cmd.query ?? {}) as Doc }).raws : []
  const names = pathFields([key])
  for (const s of docs) {
    const v = getPath(decodeFields(s, names), key)
    if (v === undefined) continue
    for (const x of Array.isArray(v) ? v : [v]) { const k = valueKey(x); if (!seen.has(k)) seen.set(k, x) }
  }
  return { values: [...seen.values()], ok: 1 }
}

/**
 * Runs an aggregation: a leading $match/$sort/$skip/$limit goes through the planner (indexes), a following $group
 * of the native kind decodes only the fields it reads, and the rest runs in mingo over freshly decoded documents
 * (so no stage can reach stored data). Results that are untouched stored documents stay as their bytes.
 */
export function runPipeline (engine: Engine, db: string, coll: string | null, pipeline: Doc[], opts: { collation?: Doc }): { docs: CursorItem[]; plan: Plan | null; pushed: number } {
  let i = 0
  let input: StoredDoc[] = []
  let plan: Plan | null = null
  if (coll !== null) {
    const c = engine.collection(db, coll, false)
    const fo: Parameters<Collection['find']>[0] = {}
    const first = pipeline[0]
    if (first?.$match !== undefined) { fo.filter = first.$match as Doc; i++ }
    const s = pipeline[i]
    if (s?.$sort !== undefined) {
      fo.sort = s.$sort as Doc; i++
      if (pipeline[i]?.$skip !== undefined) { fo.skip = num(pipeline[i]?.$skip, 0) as number; i++ }
      if (pipeline[i]?.$limit !== undefined) { fo.limit = num(pipeline[i]?.$limit, 0) as number; i++ }
    }
    if (opts.collation !== undefined) fo.collation = opts.collation
    if (c !== undefined) { const r = c.find(fo); input = r.raws; plan = r.plan }
  }
  let rest = pipeline.slice(i)
  const last = rest[rest.length - 1]
  let out: Doc | null = null
  if (last !== undefined && (last.$out !== undefined || last.$merge !== undefined)) { out = last; rest = rest.slice(0, -1) }
  const resolver = (name: string): Doc[] => [...(engine.collection(db, name, false)?.raw.values() ?? [])].map(decode)
  let docs: CursorItem[] = input
  const group = rest[0]?.$group
  if (group !== undefined && opts.collation === undefined) {
    const names = groupFields(group as Doc)
    const grouped = names !== null ? nativeGroup(input, group as Doc, (s) => decodeFields(s, names)) : null
    if (grouped !== null) { docs = grouped; rest = rest.slice(1) }
  }
  if (rest.length > 0) {
    const options: Doc = { collectionResolver: resolver }
    if (opts.collation !== undefined) options.collation = opts.collation
    try {
      docs = new Aggregator(rest as never, options).run(docs.map(toDoc)) as Doc[]
    } catch (err) {
      throw toCommandError(err)
    }
  }
  if (out !== null) writeOut(engine, db, out, docs.map(toDoc))
  return { docs: out !== null ? [] : docs, plan, pushed: i }
}

function toDoc (item: CursorItem): Doc { return typeof item === 'string' ? decode(item) : item }

function writeOut (engine: Engine, db: string, stage: Doc, docs: Doc[]): void {
  if (stage.$out !== undefined) {
    const spec = stage.$out
    const target = typeof spec === 'string' ? { db, coll: spec } : { db: String((spec as Doc).db ?? db), coll: String((spec as Doc).coll) }
    const old = engine.collection(target.db, target.coll, false)
    const specs = old !== undefined ? [...old.indexes.values()].map((ix) => ix.spec) : []
    engine.dropCollection(target.db, target.coll)
    const c = engine.collection(target.db, target.coll, true) as Collection
    for (const s of specs) engine.createIndex(c, s)
    for (const d of docs) engine.insertNew(c, d)
    return
  }
  const m = stage.$merge
  const spec = (typeof m === 'string' ? { into: m } : m) as Doc
  const into = typeof spec.into === 'string' ? { db, coll: spec.into } : { db: String((spec.into as Doc).db ?? db), coll: String((spec.into as Doc).coll) }
  const c = engine.collection(into.db, into.coll, true) as Collection
  const on = (spec.on === undefined ? ['_id'] : Array.isArray(spec.on) ? spec.on : [spec.on]) as string[]
  for (const d of docs) {
    const filter: Doc = {}
    for (const f of on) filter[f] = getPath(d, f)
    const [found] = c.find({ filter, limit: 1 }).raws
    if (found === undefined) {
      if (spec.whenNotMatched === 'discard') continue
      if (spec.whenNotMatched === 'fail') throw commandError('BadValue', '$merge could not find a matching document in the target collection')
      engine.insertNew(c, d)
    } else {
      const wm = spec.whenMatched ?? 'merge'
      if (wm === 'keepExisting') continue
      if (wm === 'fail') throw commandError('DuplicateKey', '$merge found a matching document in the target collection')
      const existing = decode(found)
      engine.put(c, wm === 'replace' ? { ...d, _id: existing._id } : { ...existing, ...d, _id: existing._id })
    }
  }
}

function toCommandError (err: unknown): Error {
  if (err instanceof CommandError) return err
  return commandError('BadValue', err instanceof Error ? err.message : String(err))
}

function aggregate (cmd: Doc, db: string, ctx: CommandContext): Doc {
  const coll = typeof cmd.aggregate === 'string' ? cmd.aggregate : null
  const pipeline = (cmd.pipeline ?? []) as Doc[]
  const opts: { collation?: Doc } = {}
  if (cmd.collation !== undefined) opts.collation = cmd.collation as Doc
  if (cmd.explain === true) return explainAggregate(ctx, db, coll, pipeline, opts, false)
  const { docs } = runPipeline(ctx.engine, db, coll, pipeline, opts)
  const cursor = (cmd.cursor ?? {}) as Doc
  return ctx.cursors.first(`${db}.${coll ?? '$cmd.aggregate'}`, docs, null, num(cursor.batchSize))
}

function explainAggregate (ctx: CommandContext, db: string, coll: string | null, pipeline: Doc[], opts: { collation?: Doc }, withStats: boolean): Doc {
  const c = coll !== null ? ctx.engine.collection(db, coll, false) : undefined
  const { docs, plan, pushed } = runPipeline(ctx.engine, db, coll, pipeline.filter((s) => s.$out === undefined && s.$merge === undefined), opts)
  const pushedStages = pipeline.slice(0, pushed)
  const findShape: Doc = {}
  for (const s of pushedStages) {
    if (s.$match !== undefined) findShape.filter = s.$match
    if (s.$sort !== undefined) findShape.sort = s.$sort
    if (s.$limit !== undefined) findShape.limit = s.$limit
  }
  const qp = explainFind(c, plan, findShape, withStats ? { nReturned: docs.length, examined: docs.length } : null)
  if (pushed === pipeline.length) return { ...qp, ok: 1 }
  return { stages: [{ $cursor: qp }, ...pipeline.slice(pushed)], ok: 1 }
}

function explain (cmd: Doc, db: string, ctx: CommandContext): Doc {
  const inner = cmd.explain as Doc
  const verbosity = String(cmd.verbosity ?? 'allPlansExecution')
  const withStats = verbosity !== 'queryPlanner'
  if (inner.find !== undefined) {
    const c = ctx.engine.collection(db, String(inner.find), false)
    const fo: Parameters<Collection['find']>[0] = { skip: num(inner.skip, 0) as number, limit: Math.abs(num(inner.limit, 0) as number) }
    if (inner.filter !== undefined) fo.filter = inner.filter as Doc
    if (inner.sort !== undefined) fo.sort = inner.sort as Doc
    const r = c?.find(fo)
    return { ...explainFind(c, r?.plan ?? null, inner, withStats ? { nReturned: r?.raws.length ?? 0, examined: r?.examined ?? 0 } : null), ok: 1 }
  }
  if (inner.aggregate !== undefined) {
    const opts: { collation?: Doc } = {}
    if (inner.collation !== undefined) opts.collation = inner.collation as Doc
    return explainAggregate(ctx, db, typeof inner.aggregate === 'string' ? inner.aggregate : null, (inner.pipeline ?? []) as Doc[], opts, withStats)
  }
  if (inner.count !== undefined || inner.distinct !== undefined) {
    const name = String(inner.count ?? inner.distinct)
    const filter = (inner.query ?? {}) as Doc
    const c = ctx.engine.collection(db, name, false)
    return { ...explainFind(c, c?.plan(filter, undefined) ?? null, { filter }, null), ok: 1 }
  }
  throw commandError('BadValue', 'explain is supported for find, aggregate, count and distinct')
}

function indexDoc (spec: IndexSpec): Doc {
  const d: Doc = { v: 2, key: spec.key, name: spec.name }
  if (spec.unique === true) d.unique = true
  if (spec.sparse === true) d.sparse = true
  if (spec.expireAfterSeconds !== undefined) d.expireAfterSeconds = spec.expireAfterSeconds
  if (spec.partialFilterExpression !== undefined) d.partialFilterExpression = spec.partialFilterExpression
  return d
}

function keyEq (a: Doc, b: Doc): boolean {
  const ka = Object.keys(a); const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && toNumber(a[k]) === toNumber(b[k]))
}

function createIndexes (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const name = collName(cmd, 'createIndexes')
  const existed = engine.collection(db, name, false) !== undefined
  const c = engine.collection(db, name, true) as Collection
  const before = c.indexes.size + 1
  let note: string | undefined
  for (const raw of (cmd.indexes ?? []) as Doc[]) {
    const key = raw.key as Doc
    const spec: IndexSpec = { name: String(raw.name ?? Object.entries(key).map(([k, v]) => `${k}_${String(v)}`).join('_')), key: key as IndexSpec['key'] }
    if (Object.values(key).some((v) => typeof v === 'string')) throw commandError('BadValue', `index type ${JSON.stringify(key)} is not supported by the embedded store`)
    if (raw.unique === true) spec.unique = true
    if (raw.sparse === true) spec.sparse = true
    if (raw.expireAfterSeconds !== undefined) spec.expireAfterSeconds = toNumber(raw.expireAfterSeconds)
    if (raw.partialFilterExpression !== undefined) spec.partialFilterExpression = raw.partialFilterExpression as Doc
    if (keyEq(key, { _id: 1 })) { note = 'all indexes already exist'; continue }
    const same = c.indexes.get(spec.name)
    if (same !== undefined) {
      if (!keyEq(same.spec.key, key)) throw commandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(indexDoc(spec))}, existing index: ${JSON.stringify(indexDoc(same.spec))}`)
      if (Boolean(same.spec.unique) !== Boolean(spec.unique) || same.spec.expireAfterSeconds !== spec.expireAfterSeconds) throw commandError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(indexDoc(spec))}, existing index: ${JSON.stringify(indexDoc(same.spec))}`)
      note = 'all indexes already exist'
      continue
    }
    const sameKey = [...c.indexes.values()].find((ix) => keyEq(ix.spec.key, key))
    if (sameKey !== undefined) throw commandError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.spec.name}`)
    engine.createIndex(c, spec)
  }
  const out: Doc = { numIndexesBefore: before, numIndexesAfter: c.indexes.size + 1, createdCollectionAutomatically: !existed }
  if (note !== undefined) out.note = note
  out.ok = 1
  return out
}

function listIndexes (cmd: Doc, db: string, { engine, cursors }: CommandContext): Doc {
  const name = collName(cmd, 'listIndexes')
  const c = engine.collection(db, name, false)
  if (c === undefined) throw commandError('NamespaceNotFound', `ns does not exist: ${db}.${name}`)
  const docs = [{ v: 2, key: { _id: 1 }, name: '_id_' }, ...[...c.indexes.values()].map((ix) => indexDoc(ix.spec))]
  return cursors.first(`${db}.${name}`, docs, null, num(((cmd.cursor ?? {}) as Doc).batchSize))
}

function dropIndexes (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const name = collName(cmd, 'dropIndexes')
  const c = engine.collection(db, name, false)
  if (c === undefined) throw commandError('NamespaceNotFound', `ns not found ${db}.${name}`)
  const was = c.indexes.size + 1
  const target = cmd.index
  if (target === '*') for (const n of [...c.indexes.keys()]) engine.dropIndex(c, n)
  else if (Array.isArray(target)) for (const n of target) engine.dropIndex(c, String(n))
  else if (typeof target === 'string') {
    if (target === '_id_') throw commandError('InvalidOptions', 'cannot drop _id index')
    engine.dropIndex(c, target)
  } else if (target !== null && typeof target === 'object') {
    const ix = [...c.indexes.values()].find((i) => keyEq(i.spec.key, target as Doc))
    if (ix === undefined) throw commandError('IndexNotFound', `can't find index with key: ${JSON.stringify(target)}`)
    engine.dropIndex(c, ix.spec.name)
  }
  return { nIndexesWas: was, ok: 1 }
}

function collMod (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const name = collName(cmd, 'collMod')
  const c = engine.collection(db, name, false)
  if (c === undefined) throw commandError('NamespaceNotFound', `ns does not exist: ${db}.${name}`)
  const spec = cmd.index as Doc | undefined
  if (spec === undefined) return { ok: 1 }
  const ix = typeof spec.name === 'string'
    ? c.indexes.get(spec.name)
    : [...c.indexes.values()].find((i) => keyEq(i.spec.key, spec.keyPattern as Doc))
  if (ix === undefined) throw commandError('IndexNotFound', `cannot find index ${JSON.stringify(spec.name ?? spec.keyPattern)} for ns ${db}.${name}`)
  const out: Doc = {}
  if (spec.expireAfterSeconds !== undefined) {
    if (ix.spec.expireAfterSeconds === undefined) throw commandError('InvalidOptions', 'no expireAfterSeconds field to update')
    const old = ix.spec.expireAfterSeconds
    const next = toNumber(spec.expireAfterSeconds)
    if (old !== next) { engine.setExpireAfter(c, ix.spec.name, next); out.expireAfterSeconds_old = old; out.expireAfterSeconds_new = next }
  }
  out.ok = 1
  return out
}

function collectionInfo (c: Collection): Doc {
  return { name: c.name, type: 'collection', options: {}, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }
}

function listCollections (cmd: Doc, db: string, { engine, cursors }: CommandContext): Doc {
  let infos = [...(engine.dbs.get(db)?.values() ?? [])].map(collectionInfo)
  const filter = cmd.filter as Doc | undefined
  if (filter !== undefined && Object.keys(filter).length > 0) { const q = new Query(filter); infos = infos.filter((d) => q.test(d)) }
  if (cmd.nameOnly === true) infos = infos.map((d) => ({ name: d.name, type: d.type }))
  return cursors.first(`${db}.$cmd.listCollections`, infos, null, num(((cmd.cursor ?? {}) as Doc).batchSize))
}

function create (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const name = collName(cmd, 'create')
  if (engine.collection(db, name, false) !== undefined) throw commandError('NamespaceExists', `Collection ${db}.${name} already exists.`)
  engine.collection(db, name, true)
  return { ok: 1 }
}

function drop (cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const name = collName(cmd, 'drop')
  const c = engine.collection(db, name, false)
  const was = c !== undefined ? c.indexes.size + 1 : 0
  engine.dropCollection(db, name)
  return { nIndexesWas: was, ns: `${db}.${name}`, ok: 1 }
}

function listDatabases (cmd: Doc, _db: string, { engine }: CommandContext): Doc {
  const databases = [...engine.dbs.entries()].map(([name, colls]) => ({ name, sizeOnDisk: 0, empty: [...colls.values()].every((c) => c.docs.size === 0) }))
  if (cmd.nameOnly === true) return { databases: databases.map((d) => ({ name: d.name })), ok: 1 }
  return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 }
}

function dbStats (_cmd: Doc, db: string, { engine }: CommandContext): Doc {
  const colls = [...(engine.dbs.get(db)?.values() ?? [])]
  return { db, collections: colls.length, views: 0, objects: colls.reduce((n, c) => n + c.docs.size, 0), indexes: colls.reduce((n, c) => n + c.indexes.size + 1, 0), dataSize: 0, storageSize: 0, ok: 1 }
}

function buildInfo (): Doc {
  return { version: '7.0.0', versionArray: [7, 0, 0, 0], gitVersion: 'atlaslens-embedded', bits: 64, maxBsonObjectSize: 16 * 1024 * 1024, storageEngines: ['atlaslens-embedded'], modules: [], ok: 1 }
}

export const HANDLERS: Record<string, Handler> = {
  hello, ismaster: hello, isMaster: hello,
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  endSessions: () => ({ ok: 1 }),
  killAllSessions: () => ({ ok: 1 }),
  refreshSessions: () => ({ ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['atlaslens-store'], parsed: {}, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  getParameter: () => ({ featureCompatibilityVersion: { version: '7.0' }, ok: 1 }),
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: '127.0.0.1' }, os: { type: process.platform }, extra: {}, ok: 1 }),
  serverStatus: (_c, _d, ctx) => ({ host: '127.0.0.1', version: '7.0.0', process: 'atlaslens-store', pid: process.pid, uptime: (Date.now() - ctx.startedAt.getTime()) / 1000, localTime: new Date(), opLatencies: ctx.opLatencies.toDoc(), ok: 1 }),
  whatsmyuri: () => ({ you: '127.0.0.1', ok: 1 }),
  insert, update, delete: del, find, getMore, killCursors, findAndModify, findandmodify: findAndModify,
  count, distinct, aggregate, explain, createIndexes, listIndexes, dropIndexes, deleteIndexes: dropIndexes, collMod,
  listCollections, create, drop, dropDatabase: (_c, db, { engine }) => { engine.dropDatabase(db); return { dropped: db, ok: 1 } },
  listDatabases, dbStats
}

/** Commands that change data and must be journaled before the reply goes out. */
export const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'createIndexes', 'dropIndexes', 'deleteIndexes', 'collMod', 'create', 'drop', 'dropDatabase', 'aggregate'])

// The raw field reader: decodes only the named top-level fields of a BSON document, exactly as a full decode would.
import t from 'tap'
import { BSON, Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson'
import { documentOf, encodeElement, readFields } from '../../src/db/embedded/bson-raw.js'
import { decode, decodeFields, fromBytes, idOf } from '../../src/db/embedded/stored-doc.js'
import { filterFields, pathFields } from '../../src/db/embedded/needed-fields.js'
import { getPath } from '../../src/db/embedded/values.js'

const OPTS = { promoteLongs: false, promoteValues: true, promoteBuffers: false }

const sample = {
  _id: new ObjectId('65f0a1b2c3d4e5f601234567'),
  dbl: new Double(1.5),
  intDbl: new Double(3),
  str: 'héllo wörld ✓',
  empty: '',
  obj: { a: 1, b: { c: 'deep' } },
  arr: [1, 'two', { three: 3 }, [4]],
  bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
  uuid: new Binary(Buffer.alloc(16, 7), 4),
  undef: undefined,
  oid: new ObjectId('0123456789abcdef01234567'),
  yes: true,
  no: false,
  when: new Date('2025-03-04T05:06:07.089Z'),
  before1970: new Date(-86_400_000 * 400),
  nul: null,
  re: new BSONRegExp('^a.c$', 'i'),
  int: new Int32(-42),
  ts: new Timestamp({ t: 5, i: 7 }),
  long: Long.fromString('9007199254740993'),
  dec: Decimal128.fromString('12.345'),
  min: new MinKey(),
  max: new MaxKey(),
  'ünï': 'non-ASCII name'
}
const bytes = Buffer.from(BSON.serialize(sample, { ignoreUndefined: false }))

t.test('every BSON type decodes as BSON.deserialize decodes it', async (t) => {
  const full = BSON.deserialize(bytes, OPTS)
  for (const name of Object.keys(sample)) {
    const one = readFields(bytes, new Set([name]))
    t.same(Object.keys(one), [name], `${name} is present`)
    t.same(one[name], full[name], `${name} equal`)
    t.equal(Object.prototype.toString.call(one[name]), Object.prototype.toString.call(full[name]), `${name} same kind`)
    t.equal((one[name] as object | null)?.constructor, (full[name] as object | null)?.constructor, `${name} same class`)
  }
  const all = readFields(bytes, new Set(Object.keys(sample)))
  t.same(all, full, 'all fields at once')
  t.equal(readFields(bytes, new Set(['intDbl'])).intDbl, 3, 'an integer Double reads as a number')
  t.equal(readFields(bytes, new Set(['int'])).int, -42, 'Int32 reads as a number')
  t.ok(readFields(bytes, new Set(['long'])).long instanceof Long, 'a Long stays a Long')
})

t.test('missing fields stay missing; nothing else is decoded', async (t) => {
  const got = readFields(bytes, new Set(['str', 'absent', 'when']))
  t.same(Object.keys(got).sort(), ['str', 'when'])
  t.notOk('absent' in got)
  t.same(readFields(bytes, new Set()), {})
  t.same(readFields(Buffer.from(BSON.serialize({})), new Set(['a'])), {})
})

t.test('decoded values do not share memory with the stored bytes', async (t) => {
  const s = fromBytes(bytes)
  const a = decodeFields(s, new Set(['bin', 'obj']))
  const b = decode(s)
  ;(a.bin as Binary).buffer[0] = 99
  ;(b.bin as Binary).buffer[1] = 99
  ;(a.obj as { a: number }).a = 7
  // Reading other documents reuses the scratch buffer: earlier results must be unaffected.
  decodeFields(fromBytes(Buffer.from(BSON.serialize({ bin: new Binary(Buffer.from([9, 9, 9, 9])) }))), new Set(['bin']))
  t.same(Buffer.from((decode(s).bin as Binary).buffer), Buffer.from([0, 1, 2, 255]), 'stored bytes unchanged')
  t.same(Buffer.from((a.bin as Binary).buffer), Buffer.from([99, 1, 2, 255]))
  t.equal((decode(s).obj as { a: number }).a, 1)
})

t.test('dotted paths read through their top-level field, arrays fan out', async (t) => {
  const doc = { _id: 1, a: { b: { c: 5 } }, list: [{ x: 1 }, { x: 2 }, { y: 3 }], other: 'x' }
  const s = fromBytes(Buffer.from(BSON.serialize(doc)))
  const names = pathFields(['a.b.c', 'list.x'])
  t.same([...names].sort(), ['a', 'list'])
  const part = decodeFields(s, names)
  t.notOk('other' in part)
  t.equal(getPath(part, 'a.b.c'), 5)
  t.same(getPath(part, 'list.x'), [1, 2])
  t.equal(idOf(s), 1)
})

t.test('filter field sets, and the fall-backs to a full decode', async (t) => {
  t.same([...(filterFields({ a: 1, 'b.c': { $gt: 2 }, $or: [{ d: 1 }, { $and: [{ e: { $elemMatch: { f: 1 } } }] }] }) ?? [])].sort(), ['a', 'b', 'd', 'e'])
  t.same([...(filterFields({}) ?? [])], [])
  t.equal(filterFields({ $expr: { $eq: ['$a', '$b'] } }), null, '$expr reads anything')
  t.equal(filterFields({ a: 1, $where: 'true' }), null, '$where reads anything')
  t.equal(filterFields({ $text: { $search: 'x' } }), null)
  t.equal(filterFields({ $or: 'not an array' } as never), null)
  t.same(decodeFields(fromBytes(bytes), null), BSON.deserialize(bytes, OPTS), 'null field set = full decode')
})

t.test('building documents from encoded elements', async (t) => {
  const d = documentOf([encodeElement('_id', 'x'), encodeElement('n', 5), encodeElement('when', new Date(5))])
  t.same(BSON.deserialize(d, OPTS), { _id: 'x', n: 5, when: new Date(5) })
  t.same(Object.keys(BSON.deserialize(d)), ['_id', 'n', 'when'])
  t.same(BSON.deserialize(documentOf([])), {})
})

// Replies the store writes by hand must decode to what BSON.serialize would have produced.
import t from 'tap'
import { BSON, Long, ObjectId } from 'bson'
import { serializeBody } from '../../src/db/embedded/wire-protocol.js'

t.test('an upserted list of every id kind, past ten entries, decodes to the reply it stands for', async (t) => {
  const ids: unknown[] = [new ObjectId(), 'plain', 'ünïcödé ✓', 42, Long.fromNumber(7), new Date(1_700_000_000_000), { a: 1 }, null]
  const upserted = Array.from({ length: 123 }, (_, i) => ({ index: i * 3 + 1, _id: ids[i % ids.length] }))
  const body = { n: upserted.length, nModified: 0, upserted, ok: 1 }
  const decoded = BSON.deserialize(serializeBody(body), { promoteLongs: false })
  t.same(decoded, BSON.deserialize(BSON.serialize(body), { promoteLongs: false }))
  t.same(Object.keys(decoded).sort(), ['n', 'nModified', 'ok', 'upserted'])
  t.ok((decoded.upserted[0]._id as ObjectId).equals(ids[0] as ObjectId), 'ObjectId bytes kept')
  t.equal(decoded.upserted[122].index, 367, 'index values kept past 100 entries')
})

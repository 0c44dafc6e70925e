// Background snapshot compaction while writes keep arriving: nothing written before, during or after is lost.
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { Engine } from '../../src/db/embedded/engine.js'
import type { Collection } from '../../src/db/embedded/collection.js'

t.test('writes racing a compaction all survive a reopen', async (t) => {
  const dir = t.testdir()
  const engine = new Engine(dir)
  await engine.open()
  engine.compactAtBytes = 4 * 1024
  const c = engine.collection('db', 'c', true) as Collection
  engine.createIndex(c, { name: 'n_1', key: { n: 1 }, unique: true })
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 100; i++) engine.put(c, { _id: `r${round}-${i}`, n: round * 100 + i, pad: 'x'.repeat(50) })
    if (round % 3 === 0) engine.remove(c, `r${round}-0`)
    await engine.commit()
  }
  engine.put(c, { _id: 'r1-1', n: 101, changed: true })
  await engine.commit()
  await engine.close()
  const files = await readdir(dir)
  t.ok(files.some((f) => f.startsWith('snapshot-')), 'compaction ran')
  t.ok(files.filter((f) => f.startsWith('journal-')).length <= 2, 'old journals were removed')

  const again = new Engine(dir)
  await again.open()
  const back = again.collection('db', 'c', false) as Collection
  t.equal(back.docs.size, 2000 - 7)
  t.equal(back.getById('r1-1')?.changed, true)
  t.equal(back.getById('r3-0'), undefined)
  t.same([...back.indexes.keys()], ['n_1'])
  t.throws(() => again.put(back, { _id: 'new', n: 5 }), { code: 11000 })
  // Closed here, not in a teardown: tap removes the test directory before running teardowns.
  await again.close()
})

// The journal's commit buffer: records appended while a write is in flight, records bigger than the buffer, and a
// commit far bigger than the buffer kept between commits all reach the file whole and in order.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { BSON } from 'bson'
import { Journal, journalName, readFrames } from '../../src/db/embedded/journal.js'

function doc (i: number, size: number): Buffer {
  return Buffer.from(BSON.serialize({ _id: i, pad: 'x'.repeat(size) }))
}

async function readBack (dir: string): Promise<Array<{ op: string, id: unknown, size: number }>> {
  const out: Array<{ op: string, id: unknown, size: number }> = []
  const buf = await readFile(path.join(dir, journalName(1)))
  const valid = readFrames(buf, (rec) => { out.push({ op: rec.op, id: rec.name, size: 0 }) }, (_db, _c, d) => {
    const x = BSON.deserialize(d)
    out.push({ op: 'put', id: x._id, size: (x.pad as string).length })
  })
  t.equal(valid, buf.length, 'every byte of the file is a whole record')
  return out
}

t.test('records appended during a write, and records larger than the buffer, are all written in order', async (t) => {
  const dir = t.testdir()
  const journal = new Journal(dir, 1)
  await journal.open()
  const expected: Array<{ op: string, id: unknown, size: number }> = []
  // Documents stay under BSON's 16 MB; together they pass the 16 MB an arena may keep between commits.
  const sizes = [10, 3_000_000, 50, 200_000, 12_000_000, 7, 12_000_000]
  const commits: Array<Promise<void>> = []
  for (const [i, size] of sizes.entries()) {
    journal.appendPut('db', 'c', doc(i, size))
    expected.push({ op: 'put', id: i, size })
    if (i % 2 === 1) {
      journal.append({ op: 'di', db: 'db', c: 'c', name: `ix${i}` })
      expected.push({ op: 'di', id: `ix${i}`, size: 0 })
    } else {
      // A commit every other record, not awaited; once its write has started, the next records go in meanwhile.
      commits.push(journal.commit())
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  commits.push(journal.commit())
  await Promise.all(commits)
  // After commits far bigger than the kept buffer, small records still go through.
  for (let i = 0; i < 1000; i++) { journal.appendPut('db', 'c', doc(100 + i, 20)); expected.push({ op: 'put', id: 100 + i, size: 20 }) }
  await journal.commit()
  await journal.close()
  t.same(await readBack(dir), expected)
})

t.test('a commit with nothing queued resolves at once and writes nothing', async (t) => {
  const dir = t.testdir()
  const journal = new Journal(dir, 1)
  await journal.open()
  await journal.commit()
  await journal.close()
  t.equal((await readFile(path.join(dir, journalName(1)))).length, 0)
})

type WriteCall = (buf: unknown, off: unknown, len: unknown) => Promise<{ bytesWritten: number }>
interface FileHandleSeam { write: WriteCall, truncate: (n: number) => Promise<void> }

/** An open journal, with its file handle (private) exposed to put faults between it and the file system. */
async function journalWithFaults (dir: string): Promise<{ journal: Journal, fh: FileHandleSeam, realWrite: WriteCall }> {
  const journal = new Journal(dir, 1)
  await journal.open()
  const fh = (journal as unknown as { file: { fh: FileHandleSeam } }).file.fh
  return { journal, fh, realWrite: fh.write.bind(fh) }
}

t.test('a short write is continued; a failed write is cut off the file, so later commits still replay', async (t) => {
  const dir = t.testdir()
  const { journal, fh, realWrite } = await journalWithFaults(dir)
  // The file system takes at most 100 bytes per call.
  fh.write = async (buf, off, len) => await realWrite(buf, off, Math.min(len as number, 100))
  journal.appendPut('db', 'c', doc(1, 1000))
  await journal.commit()
  // Half of the next write lands, then the disk fails.
  fh.write = async (buf, off, len) => {
    await realWrite(buf, off, Math.floor((len as number) / 2))
    throw new Error('ENOSPC: no space left on device')
  }
  journal.appendPut('db', 'c', doc(2, 1000))
  await t.rejects(journal.commit(), /ENOSPC/)
  fh.write = realWrite
  journal.appendPut('db', 'c', doc(3, 1000))
  await journal.commit()
  await journal.close()
  t.same(await readBack(dir), [{ op: 'put', id: 1, size: 1000 }, { op: 'put', id: 3, size: 1000 }], 'the failed record is gone, the later one is whole')
})

t.test('when a failed write cannot be cut off, every later commit is refused', async (t) => {
  const { journal, fh, realWrite } = await journalWithFaults(t.testdir())
  fh.write = async (buf, off) => { await realWrite(buf, off, 10); throw new Error('EIO: i/o error') }
  fh.truncate = async () => { throw new Error('EIO: i/o error') }
  journal.appendPut('db', 'c', doc(1, 100))
  await t.rejects(journal.commit(), /EIO/)
  fh.write = realWrite
  journal.appendPut('db', 'c', doc(2, 100))
  await t.rejects(journal.commit(), /no later write can be made durable/)
  await t.rejects(journal.close(), /no later write can be made durable/)
})

import t from 'tap'
import pino from 'pino'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { createIdentitiesRepository } from '../../src/identities/identities-repository.js'
import { runRotateKey } from '../../src/cli/rotate-key.js'

const logger = pino({ level: 'silent' })
const [A, B, C, D] = [generateFernetKey(), generateFernetKey(), generateFernetKey(), generateFernetKey()] as [string, string, string, string]
const repoFor = (db: import('mongodb').Db, keys: string[], strict: boolean) =>
  createIdentitiesRepository({ db, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys), encryptDisplayNames: strict, logger })

t.test('rotation round-trip: re-encrypts under the first key, recomputes blind indexes, resumes, and re-runs clean', async (t) => {
  const { db } = await startTestMongo(t)
  const users = Array.from({ length: 25 }, (_, i) => ({ account_id: `acc-${String(i).padStart(2, '0')}`, display_name: `Person ${i}`, email: `person${i}@example.com` }))
  await repoFor(db, [A], true).upsertFromDirectory(users)
  const lines: string[] = []

  const first = await runRotateKey({ db, keys: [B, A], logger, out: (l) => lines.push(l), batchSize: 10 })
  t.match(first, { scanned: 50, rotated: 50, alreadyCurrent: 0, failed: 0, completed: true, resumed: false })
  t.notMatch(lines.join('\n'), /@example\.com|Person/, 'output carries counts, not data')
  t.notMatch(lines.join('\n'), new RegExp(B.slice(0, 20)), 'never prints a key')

  const onlyB = createFieldCipher([B])
  for (const doc of await db.collection('identities').find({}).toArray()) {
    t.equal(onlyB.needsRotation(doc.email_enc), false)
    t.match(onlyB.decrypt(doc.display_name_enc), /^Person \d+$/)
  }
  const afterRotation = repoFor(db, [B], true)
  t.equal((await afterRotation.findByEmail('person7@example.com'))?.account_id, 'acc-07', 'blind index recomputed under the new key')
  t.equal(await afterRotation.revealEmail('acc-07'), 'person7@example.com')
  t.equal((await afterRotation.resolveNames(['acc-07'])).get('acc-07'), 'Person 7')

  const again = await runRotateKey({ db, keys: [B, A], logger, out: () => {} })
  t.match(again, { scanned: 50, rotated: 0, alreadyCurrent: 50, failed: 0 }, 'safe to re-run')

  // Interrupted after the first batch, then resumed: every token is handled exactly once overall.
  const ac = new AbortController()
  const partial = await runRotateKey({ db, keys: [C, B], logger, batchSize: 10, signal: ac.signal, out: (l) => { if (l.startsWith('…')) ac.abort() } })
  t.match(partial, { completed: false, rotated: 20 })
  const resumed = await runRotateKey({ db, keys: [C, B], logger, batchSize: 10, out: () => {} })
  t.match(resumed, { resumed: true, completed: true, rotated: 30, failed: 0 })
  const onlyC = createFieldCipher([C])
  t.equal((await db.collection('identities').find({}).toArray()).filter((d) => onlyC.needsRotation(d.email_enc)).length, 0)
})

t.test('unreadable tokens are counted as failed, and strict mode encrypts leftover plaintext names', async (t) => {
  const { db } = await startTestMongo(t)
  await repoFor(db, [A], false).upsertFromDirectory([{ account_id: 'p1', display_name: 'Plain Name', email: 'p1@example.com' }])
  await repoFor(db, [D], false).upsertFromDirectory([{ account_id: 'p2', display_name: 'Lost Key', email: 'p2@example.com' }])
  const lines: string[] = []
  const r = await runRotateKey({ db, keys: [B, A], logger, encryptDisplayNames: true, out: (l) => lines.push(l) })
  t.match(r, { rotated: 1, failed: 1, migrated: 2 })
  t.match(lines.join('\n'), /add the key they were written with/)
  const p1 = await db.collection('identities').findOne({ _id: 'p1' as never })
  t.equal(p1?.display_name, null)
  t.equal(p1?.name_sort, undefined)
  t.equal(createFieldCipher([B]).decrypt(p1?.display_name_enc), 'Plain Name')
})

import t from 'tap'
import { createBlindIndex, createFieldCipher, generateFernetKey, isFernetKey, keyFingerprint, normaliseEmail } from '../../src/crypto/field-cipher.js'

const k1 = generateFernetKey()
const k2 = generateFernetKey()

t.test('generated keys are Fernet keys and distinct', async (t) => {
  t.ok(isFernetKey(k1))
  t.not(k1, k2)
})

t.test('first key encrypts, every key decrypts', async (t) => {
  const old = createFieldCipher([k2])
  const rotated = createFieldCipher([k1, k2])
  const legacy = old.encrypt('ada@example.com')
  t.equal(rotated.decrypt(legacy), 'ada@example.com')
  t.ok(rotated.needsRotation(legacy))
  const fresh = rotated.encrypt('ada@example.com')
  t.notOk(rotated.needsRotation(fresh))
  t.ok(rotated.isToken(fresh))
  t.notOk(rotated.isToken('ada@example.com'))
  t.throws(() => old.decrypt(fresh), { code: 'ATL_CRYPTO_TOKEN_INVALID' }, 'a key that is gone cannot decrypt')
  t.throws(() => createFieldCipher([]), { code: 'ATL_CRYPTO_NO_KEY' })
  t.throws(() => createFieldCipher([k1, 'bad']), { code: 'ATL_CRYPTO_KEY_INVALID' })
})

t.test('fingerprints identify keys without revealing them', async (t) => {
  const cipher = createFieldCipher([k1, k2])
  t.equal(cipher.keyFingerprint(), keyFingerprint(k1))
  t.same(cipher.keyFingerprints(), [keyFingerprint(k1), keyFingerprint(k2)])
  t.match(cipher.keyFingerprint(), /^[0-9a-f]{16}$/)
  t.notOk(k1.includes(cipher.keyFingerprint()))
})

t.test('blind index: normalised, keyed, and rotation-aware', async (t) => {
  const idx = createBlindIndex([k1, k2])
  t.equal(idx.email(' Ada@Example.COM '), idx.email('ada@example.com'))
  t.not(idx.email('ada@example.com'), idx.email('bob@example.com'))
  t.not(createBlindIndex([k2]).email('ada@example.com'), idx.email('ada@example.com'), 'depends on the key')
  t.same(idx.emailCandidates('ada@example.com'), [idx.email('ada@example.com'), createBlindIndex([k2]).email('ada@example.com')])
  t.notOk(idx.email('ada@example.com').includes('ada'))
  t.equal(normaliseEmail(' ＡＤＡ@example.com'), 'ada@example.com', 'NFKC folds full-width letters')
})

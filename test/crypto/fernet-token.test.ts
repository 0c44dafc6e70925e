import t from 'tap'
import { readFileSync } from 'node:fs'
import { decodeToken, encodeToken, isFernetKey, parseFernetKey } from '../../src/crypto/fernet-token.js'

interface Vector { token: string, now: string, secret: string, src?: string, iv?: number[], ttl_sec?: number, desc?: string }
const load = (name: string): Vector[] => JSON.parse(readFileSync(new URL(`./fernet-spec/${name}`, import.meta.url), 'utf8'))

t.test('generate.json: the package (through our wrapper) produces the spec token byte for byte', async (t) => {
  const vectors = load('generate.json')
  t.ok(vectors.length > 0)
  for (const v of vectors) {
    const token = encodeToken(parseFernetKey(v.secret), v.src as string, { now: new Date(v.now), iv: Uint8Array.from(v.iv as number[]) })
    t.equal(token, v.token)
  }
})

t.test('verify.json: spec tokens decode to their source', async (t) => {
  for (const v of load('verify.json')) {
    t.equal(decodeToken(parseFernetKey(v.secret), v.token, { ttlSeconds: v.ttl_sec as number, now: new Date(v.now) }), v.src)
  }
})

t.test('invalid.json: every spec-invalid token is rejected', async (t) => {
  const vectors = load('invalid.json')
  t.equal(vectors.length, 11)
  for (const v of vectors) {
    t.throws(() => decodeToken(parseFernetKey(v.secret), v.token, { ttlSeconds: v.ttl_sec as number, now: new Date(v.now) }),
      { code: 'ATL_CRYPTO_TOKEN_INVALID' }, v.desc ?? 'invalid')
  }
})

t.test('a random IV round-trips, including non-ASCII text', async (t) => {
  const key = parseFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=')
  const a = encodeToken(key, '山田 太郎 <taro@example.jp>')
  const b = encodeToken(key, '山田 太郎 <taro@example.jp>')
  t.not(a, b, 'fresh IV per token')
  t.equal(decodeToken(key, a, { ttlSeconds: 0 }), '山田 太郎 <taro@example.jp>')
})

t.test('ttl 0 keeps old tokens readable', async (t) => {
  const v = load('verify.json')[0] as Vector
  t.equal(decodeToken(parseFernetKey(v.secret), v.token, { ttlSeconds: 0 }), 'hello', '1985 token still decodes')
})

t.test('key validation', async (t) => {
  t.ok(isFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='))
  t.notOk(isFernetKey('cw_0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4='), 'standard base64 alphabet rejected')
  t.notOk(isFernetKey('c2hvcnQ='))
  t.notOk(isFernetKey(42))
  t.throws(() => parseFernetKey('nope', 2), { code: 'ATL_CRYPTO_KEY_INVALID', message: /#2/ })
  t.throws(() => encodeToken(parseFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='), ''), { code: 'ATL_CRYPTO_TOKEN_INVALID' })
})

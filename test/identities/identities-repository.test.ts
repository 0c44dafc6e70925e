import t from 'tap'
import pino from 'pino'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { createIdentitiesRepository } from '../../src/identities/identities-repository.js'

const mongo = await startTestMongo(t)
let dbs = 0
const keys = [generateFernetKey()]
const logger = pino({ level: 'silent' })

function repo (st: { teardown: (fn: () => unknown) => void }, encryptDisplayNames: boolean) {
  const db = mongo.client.db(`${mongo.dbName}_${++dbs}`)
  st.teardown(async () => { await db.dropDatabase() })
  return { db, identities: createIdentitiesRepository({ db, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys), encryptDisplayNames, logger }) }
}

const d = (day: number): Date => new Date(Date.UTC(2026, 5, day))

for (const strict of [false, true]) {
  t.test(`strict mode ${strict ? 'on' : 'off'}: names resolve, sort case-insensitively, and stay current`, async (t) => {
    const { db, identities } = repo(t, strict)
    await identities.observe([
      { hint: { account_id: 'a1', display_name: 'zoë Zimmer' }, site: 's', product: 'jira', at: d(1), active: true },
      { hint: { account_id: 'a2', display_name: 'Ádám Ant' }, site: 's', product: 'confluence', at: d(2), active: true },
      { hint: { account_id: 'a3', display_name: 'bob Brown' }, site: 's', product: 'jira', at: d(3), active: true }
    ])
    // A rename, then a late page carrying the old name: the newer name wins.
    await identities.observe([{ hint: { account_id: 'a3', display_name: 'Bob Brown-Smith' }, site: 's', product: 'jira', at: d(10), active: true }])
    await identities.observe([{ hint: { account_id: 'a3', display_name: 'bob Brown' }, site: 's', product: 'bitbucket', at: d(5), active: true }])
    const names = await identities.resolveNames(['a1', 'a2', 'a3', 'missing'])
    t.same(Object.fromEntries(names), { a1: 'zoë Zimmer', a2: 'Ádám Ant', a3: 'Bob Brown-Smith', missing: null })
    const listed = (await identities.listByName()).map((v) => v.display_name)
    t.same(listed, ['Ádám Ant', 'Bob Brown-Smith', 'zoë Zimmer'], 'case- and accent-insensitive order')
    const raw = await db.collection('identities').findOne({ _id: 'a3' as never })
    if (strict) {
      t.equal(raw?.display_name, null, 'no plaintext name stored')
      t.equal(raw?.name_sort, undefined, 'no plaintext sort key stored')
      t.type(raw?.display_name_enc, 'string')
      t.notMatch(JSON.stringify(await db.collection('identities').find({}).toArray()), /Zimmer|Brown|Ant/)
    } else {
      t.equal(raw?.display_name, 'Bob Brown-Smith')
      t.equal(raw?.name_sort, 'bob brown-smith')
    }
    // Renamed back later: the newest report wins again (the late page must not have poisoned anything).
    await identities.observe([{ hint: { account_id: 'a3', display_name: 'bob Brown' }, site: 's', product: 'jira', at: d(12), active: true }])
    t.equal((await identities.resolveNames(['a3'])).get('a3'), 'bob Brown')
    await identities.observe([{ hint: { account_id: 'a3', display_name: 'Bob Brown-Smith' }, site: 's', product: 'jira', at: d(12), active: true }])
    const view = await identities.get('a3')
    t.equal(view?.first_seen.toISOString(), d(3).toISOString())
    t.equal(view?.last_seen.toISOString(), d(12).toISOString())
    t.same(Object.keys(view?.last_active ?? {}).sort(), ['bitbucket', 'jira'])
    t.equal(view?.last_active.jira?.toISOString(), d(12).toISOString())
  })
}

t.test('directory upsert and email lookup through the blind index', async (t) => {
  const { db, identities } = repo(t, false)
  const n = await identities.upsertFromDirectory([
    { account_id: 'u1', display_name: 'Ada Lovelace', email: 'Ada@Example.com', account_type: 'atlassian', account_status: 'active', last_active: { jira: d(20) } },
    { account_id: 'u2', display_name: 'Grace', email: '', account_status: 'inactive' },
    { account_id: '', display_name: null }
  ], 'acme.atlassian.net')
  t.equal(n, 2)
  const found = await identities.findByEmail('  ada@example.COM ')
  t.equal(found?.account_id, 'u1')
  t.equal(found?.has_email, true)
  t.equal(found?.account_status, 'active')
  t.same(found?.sites, ['acme.atlassian.net'])
  t.equal(await identities.revealEmail('u1'), 'Ada@Example.com')
  t.equal(await identities.findByEmail('nobody@example.com'), null)
  t.equal(await identities.findByEmail('not an email'), null)
  t.equal((await identities.get('u2'))?.has_email, false, 'an empty email is no email')
  t.notMatch(JSON.stringify(await db.collection('identities').find({}).toArray()), /example\.com/i)
  await identities.ensureIndexes()
  await identities.ensureIndexes()
})

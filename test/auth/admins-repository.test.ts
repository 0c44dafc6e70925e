import t from 'tap'
import { createAdminsRepository } from '../../src/auth/admins-repository.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

t.test('admins repository against the real store', async (t) => {
  const mongo = await startTestMongo(t)
  const admins = createAdminsRepository(mongo.db)
  await admins.ensureIndexes()
  await admins.ensureIndexes() // idempotent

  const ann = await admins.create('Ann', '$2b$12$fakehashfakehashfakehashfakehashfakehashfakehashfake')
  t.match(ann, { username: 'Ann', username_key: 'ann', disabled: false, token_version: 0, last_login_at: null })
  await t.rejects(admins.create('ANN', '$2b$12$x'), { code: 'ATL_ADMIN_EXISTS', statusCode: 409 }, 'case-insensitive uniqueness')
  // The unique index itself refuses a raw duplicate, not only the repository.
  await t.rejects(mongo.db.collection('admins').insertOne({ username: 'x', username_key: 'ann' }), { code: 11000 })

  t.equal((await admins.findByUsername('aNN'))?.username, 'Ann')
  t.equal(await admins.findByUsername('nobody'), null)
  t.equal((await admins.findById(ann._id.toHexString()))?.username, 'Ann')
  t.equal(await admins.findById('not-an-id'), null)
  t.equal(await admins.findById('0123456789ab'), null, '12-character strings are not accepted as ids')

  const reset = await admins.setPasswordHash('ann', '$2b$12$other')
  t.equal(reset.password_hash, '$2b$12$other')
  t.equal(reset.token_version, 1, 'a password reset ends sessions')
  const disabled = await admins.setDisabled('ann', true)
  t.equal(disabled.disabled, true)
  t.equal(disabled.token_version, 2)
  const enabled = await admins.setDisabled('ann', false)
  t.equal(enabled.disabled, false)
  t.equal(enabled.token_version, 2, 'enabling does not revive old sessions')
  await t.rejects(admins.setDisabled('nobody', true), { code: 'ATL_ADMIN_NOT_FOUND' })

  t.equal(await admins.bumpTokenVersion(ann._id), 3)
  const when = new Date('2026-01-02T03:04:05Z')
  await admins.recordLogin(ann._id, when)

  await admins.create('bob', '$2b$12$bob')
  const list = await admins.list()
  t.same(list.map((a) => a.username), ['Ann', 'bob'])
  t.same(list[0]?.lastLoginAt, when)
  t.notOk(JSON.stringify(list).includes('$2b$'), 'listings carry no hashes')
})

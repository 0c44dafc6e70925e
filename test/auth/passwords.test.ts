import t from 'tap'
import { BCRYPT_COST, DUMMY_HASH, hashCost, hashPassword, passwordProblem, verifyPassword } from '../../src/auth/passwords.js'
import { USERNAME_PATTERN, usernameKey, usernameProblem } from '../../src/auth/usernames.js'

t.test('password policy', async (t) => {
  t.equal(passwordProblem('ann', 'x'.repeat(11)), 'it must be at least 12 characters long')
  t.equal(passwordProblem('ann', 'x'.repeat(12)), null)
  t.equal(passwordProblem('ann', '日本語のパスワードです十二'), null, 'length counts characters, not bytes')
  t.match(passwordProblem('ann', 'é'.repeat(37)), /at most 72 bytes/)
  t.equal(passwordProblem('Long-Username-1', 'long-username-1'), 'it must not equal the username')
  t.equal(passwordProblem('long-username-1', ' LONG-USERNAME-1 '), 'it must not equal the username')
})

t.test('usernames', async (t) => {
  t.equal(usernameProblem('ops.admin_1'), null)
  for (const bad of ['a', '-lead', 'has space', 'ann@example.com', 'x'.repeat(65), '<script>', 'ann\n']) {
    t.not(usernameProblem(bad), null, JSON.stringify(bad))
  }
  t.equal(usernameKey(' Ann '), 'ann')
  t.ok(USERNAME_PATTERN.test('Ann'))
})

t.test('hash and verify (bcrypt, cost 12)', async (t) => {
  const hash = await hashPassword('a-long-password-1')
  t.match(hash, /^\$2[aby]\$12\$/)
  t.equal(hashCost(hash), BCRYPT_COST)
  t.not(hash, await hashPassword('a-long-password-1'), 'salted')
  t.equal(await verifyPassword('a-long-password-1', hash), true)
  t.equal(await verifyPassword('a-long-password-2', hash), false)
})

t.test('unknown users are compared against a dummy hash of the same cost', async (t) => {
  t.equal(hashCost(DUMMY_HASH), BCRYPT_COST, 'same cost, so the same work as a real comparison')
  t.equal(await verifyPassword('anything-at-all', null), false)
  t.equal(hashCost('plaintext'), 0)
})

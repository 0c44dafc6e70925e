import t from 'tap'
import { containsEmail, looksLikeEmail, parseRawAuthor, scrubEmails } from '../../src/identities/raw-author.js'

t.test('Bitbucket raw authors: keep the name, separate the email', async (t) => {
  t.same(parseRawAuthor('Ada Lovelace <ada@example.com>'), { name: 'Ada Lovelace', email: 'ada@example.com' })
  t.same(parseRawAuthor('  <bot@ci.example.org> '), { name: null, email: 'bot@ci.example.org' })
  t.same(parseRawAuthor('ada@example.com'), { name: null, email: 'ada@example.com' })
  t.same(parseRawAuthor('Just A Name'), { name: 'Just A Name', email: null })
  t.same(parseRawAuthor('x@y.io <ada@example.com>'), { name: '[email]', email: 'ada@example.com' }, 'an email used as the name is scrubbed')
  t.same(parseRawAuthor(null), { name: null, email: null })
})

t.test('email detection and scrubbing', async (t) => {
  t.ok(looksLikeEmail('first.last+tag@sub.example.co.jp'))
  t.notOk(looksLikeEmail('Ada Lovelace'))
  t.ok(containsEmail('pushed by ada@example.com today'))
  t.equal(scrubEmails('from a@b.com to c.d@e.org'), 'from [email] to [email]')
})

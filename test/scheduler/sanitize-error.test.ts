import t from 'tap'
import { sanitizeErrorMessage } from '../../src/scheduler/sanitize-error.js'

t.test('error messages lose credentials, query strings, auth headers and emails', async (t) => {
  const token = 'ATATT3xFfGF0-very-secret-token'
  const err = Object.assign(new Error(
    `GET https://user:pw@acme.atlassian.net/rest/api/3/auditing/record?from=2026&token=${token} failed; ` +
    'Authorization: Basic YWRtaW5AZXhhbXBsZS5jb206c2VjcmV0 for admin@example.com; api_key=abc123 ' +
    'eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0xxxxxxxxxxxxxxxxxx'
  ), { code: 'ATL_HTTP_AUTH' })
  const text = sanitizeErrorMessage(err, [token])
  t.match(text, /^ATL_HTTP_AUTH: /)
  t.match(text, 'https://acme.atlassian.net/rest/api/3/auditing/record failed')
  for (const bad of [token, 'user:pw', 'from=2026', 'YWRtaW5AZXhhbXBsZS5jb206c2VjcmV0', 'admin@example.com', 'abc123', 'eyJhbGci']) {
    t.notMatch(text, bad, `no ${bad}`)
  }
  t.equal(sanitizeErrorMessage('x'.repeat(1000).replace(/x/g, 'a ')).length <= 300, true, 'bounded length')
  t.equal(sanitizeErrorMessage(undefined), 'Unknown error')
  t.equal(sanitizeErrorMessage(new Error('The org returned nothing'), ['secret-token']), 'The org returned nothing')
})

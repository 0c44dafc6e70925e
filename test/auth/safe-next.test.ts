import t from 'tap'
import { safeNextPath } from '../../src/auth/safe-next.js'

t.test('same-origin paths pass through', async (t) => {
  for (const ok of ['/', '/operator-log', '/events?actor=abc&page=2', '/people/557058:abc#top', '/a%20b']) {
    t.equal(safeNextPath(ok), ok, ok)
  }
})

t.test('everything else becomes /', async (t) => {
  const bad = [
    undefined, null, 42, '', 'relative', '//evil.example', '///evil.example', '/\\evil.example', '\\\\evil.example',
    'https://evil.example', 'http:evil.example', 'javascript:alert(1)', 'data:text/html,x',
    '/%2F%2Fevil.example', '%2F%2Fevil.example', '/%5Cevil.example', '/%252F%252Fevil.example', '/%25252F%25252Fevil.example',
    '/\t/evil.example', '/\n/evil.example', '/%09/evil.example', '/%0d%0aSet-Cookie:x', '/%E0%A4%A', '/login', '/login?next=/x',
    '/logout', '/' + 'a'.repeat(2100)
  ]
  for (const value of bad) t.equal(safeNextPath(value), '/', JSON.stringify(value))
})

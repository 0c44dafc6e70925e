import t from 'tap'
import {
  adminTarget, authorizationHeader, bitbucketTarget, gatewayTarget, secretStrings, siteTarget, validateCredentials
} from '../../../src/connectors/http/credentials.js'

t.test('authorization headers per credential kind', async (t) => {
  t.equal(authorizationHeader({ kind: 'basic', email: 'a@example.com', token: 'tok' }), 'Basic ' + Buffer.from('a@example.com:tok').toString('base64'))
  t.equal(authorizationHeader({ kind: 'bearer', token: 'key' }), 'Bearer key')
  const secrets = secretStrings({ kind: 'basic', email: 'a@example.com', token: 'token-1' })
  t.ok(secrets.includes('token-1') && secrets.includes('a@example.com') && secrets.includes(Buffer.from('a@example.com:token-1').toString('base64')))
})

t.test('targets for each Atlassian API', async (t) => {
  t.same(siteTarget('acme.atlassian.net', 'a@example.com', 'tok'), { baseUrl: 'https://acme.atlassian.net', auth: { kind: 'basic', email: 'a@example.com', token: 'tok' } })
  t.equal(siteTarget('https://acme.atlassian.net/wiki/', 'a@example.com', 'tok').baseUrl, 'https://acme.atlassian.net')
  t.equal(gatewayTarget('jira', 'c0ffee-01', { kind: 'basic', email: 'a@example.com', token: 'scoped' }).baseUrl, 'https://api.atlassian.com/ex/jira/c0ffee-01')
  t.equal(gatewayTarget('confluence', 'c0ffee-01', { kind: 'bearer', token: 'oauth' }, 'http://127.0.0.1:9/').baseUrl, 'http://127.0.0.1:9/ex/confluence/c0ffee-01')
  t.throws(() => gatewayTarget('jira', '../admin', { kind: 'bearer', token: 'x' }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.same(adminTarget('org-key'), { baseUrl: 'https://api.atlassian.com/admin', auth: { kind: 'bearer', token: 'org-key' } })
  t.same(bitbucketTarget('api-token', 'a@example.com').auth, { kind: 'basic', email: 'a@example.com', token: 'api-token' })
  t.same(bitbucketTarget('access-token', null), { baseUrl: 'https://api.bitbucket.org/2.0', auth: { kind: 'bearer', token: 'access-token' } })
})

t.test('credential validation', async (t) => {
  t.throws(() => validateCredentials({ kind: 'basic', email: 'a:b', token: 'x' }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => validateCredentials({ kind: 'bearer', token: '' }), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.throws(() => validateCredentials({ kind: 'other' } as never), { code: 'ATL_HTTP_INVALID_OPTIONS' })
  t.doesNotThrow(() => validateCredentials({ kind: 'bearer', token: 'ok' }))
})

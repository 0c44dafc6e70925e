import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  activityKindOf, mapCommit, mapPullRequestActivity, mapPullRequestOpened, parseRawAuthor, repoRefOf
} from '../../../src/connectors/bitbucket/bitbucket-mapper.js'
import type { SiteConfig } from '../../../src/connectors/connector.js'

const fixture = (name: string): { values: unknown[] } =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { values: unknown[] }

const site: SiteConfig = {
  id: 'acme',
  site: null,
  cloudId: null,
  email: null,
  jiraApiToken: null,
  confluenceApiToken: null,
  bitbucketWorkspace: 'acme',
  bitbucketApiToken: 'token',
  bitbucketEmail: 'admin@example.com',
  orgId: null,
  orgApiKey: null,
  baseUrls: { jira: null, confluence: null, bitbucket: 'http://127.0.0.1:1/2.0', admin: 'http://127.0.0.1:1/admin' }
}
const repo = repoRefOf({ uuid: '{r-1}', full_name: 'acme/billing', slug: 'billing', name: 'Billing' })

t.test('repository refs key on the uuid and fall back to the full name', async (t) => {
  t.same(repo, { key: '{r-1}', fullName: 'acme/billing', name: 'Billing' })
  t.same(repoRefOf({ full_name: 'acme/x' }), { key: 'acme/x', fullName: 'acme/x', name: 'acme/x' })
  t.equal(repoRefOf({ slug: 'no-full-name' }), null)
})

t.test('raw git authors split into name and email', async (t) => {
  t.same(parseRawAuthor('Ken Tanaka <ken.tanaka@example.com>'), { name: 'Ken Tanaka', email: 'ken.tanaka@example.com' })
  t.same(parseRawAuthor('just a name'), { name: 'just a name', email: null })
  t.same(parseRawAuthor('<not-an-email>'), { name: null, email: null })
  t.same(parseRawAuthor(null), { name: null, email: null })
})

t.test('commits: a linked author carries account id, display name and the email for encryption; links to bitbucket.org', async (t) => {
  if (repo === null) throw new Error('fixture repo')
  const [linked, unlinked] = fixture('commits-page.json').values.map((c) => mapCommit(c, repo, site))
  t.equal(linked?.operation, 'commit_pushed')
  t.equal(linked?.product, 'bitbucket')
  t.equal(linked?.pipeline, 'activity')
  t.equal(linked?.source, 'bitbucket-activity')
  t.equal(linked?.source_record_id, 'commit:{r-1}:a1b2c3d4e5f60718293a4b5c6d7e8f9012345678')
  t.same(linked?.actor, { account_id: '557058:bbbb', display_name: 'Tanaka Ken', product_ids: { bitbucket: '{u-bbbb}' }, raw_author: 'Ken Tanaka <ken.tanaka@example.com>' })
  t.equal(linked?.object.name, 'Fix billing rounding', 'only the subject line, never the body')
  t.equal(linked?.object.url, 'https://bitbucket.org/acme/billing/commits/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678')
  t.notMatch(JSON.stringify({ ...linked, actor: null }), /example\.com/, 'no email outside the identity hint')
  t.same(unlinked?.actor, { account_id: '', display_name: 'ci-bot', raw_author: 'ci-bot <bot@example.com>' }, 'an unlinked author: ingest derives a keyed pseudonym')
  t.equal(mapCommit({ hash: 'x' }, repo, site), null)
})

t.test('pull request activity: each change its own event with a deterministic id', async (t) => {
  if (repo === null) throw new Error('fixture repo')
  const items = fixture('pullrequest-activity-page.json').values
  const created = Date.parse('2026-11-20T12:30:00Z')
  const drafts = items.map((i) => mapPullRequestActivity(i, repo, site, (id) => id === '7' ? created : undefined))
  t.same(drafts.map((d) => d?.operation ?? null), ['pr_merged', 'pr_approved', 'pr_commented', 'pr_changes_requested', 'pr_opened', null])
  const ids = drafts.flatMap((d) => d === null ? [] : [d.source_record_id])
  t.equal(new Set(ids).size, 5)
  t.equal(ids[0], `pr:{r-1}:7:update:${Date.parse('2026-11-21T10:00:00Z')}:MERGED`)
  t.equal(ids[1], `pr:{r-1}:7:approval:557058:aaaa:${Date.parse('2026-11-21T09:00:00Z')}`)
  t.equal(ids[2], 'pr:{r-1}:7:comment:4401')
  t.equal(drafts[0]?.object.url, 'https://bitbucket.org/acme/billing/pull-requests/7')
  t.equal(drafts[2]?.object.url, 'https://bitbucket.org/acme/billing/pull-requests/7#comment-4401')
  t.notMatch(JSON.stringify(drafts), /secret body text/, 'comment bodies are never kept')
  t.same(drafts.map((i) => mapPullRequestActivity(items[0], repo, site)?.source_record_id)[0], ids[0], 'stable across calls')
  t.equal(mapPullRequestActivity(items[4], repo, site)?.operation, 'pr_updated', 'an OPEN update that is not the creation')
  t.same(activityKindOf(items[2]), { kind: 'comment', date: '2026-11-20T15:00:00.000000+00:00' })
})

t.test('the PR listing names the opening with the same id the activity log gives it', async (t) => {
  if (repo === null) throw new Error('fixture repo')
  const [pr] = fixture('pullrequests-page.json').values
  const opened = mapPullRequestOpened(pr, repo, site)
  const fromActivity = mapPullRequestActivity(fixture('pullrequest-activity-page.json').values[4], repo, site)
  t.equal(opened?.operation, 'pr_opened')
  t.equal(opened?.source_record_id, fromActivity?.source_record_id)
  t.equal(opened?.actor?.account_id, '557058:bbbb')
  const [, appPr] = fixture('pullrequests-page.json').values
  t.equal(mapPullRequestOpened(appPr, repo, site)?.actor, null, 'an app author without account id')
})

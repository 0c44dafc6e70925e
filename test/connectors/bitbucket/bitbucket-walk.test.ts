// The newest-first walk against a scripted API: early stop only on an ordered listing, watermark moves only after a
// complete walk, and a server stuck on one next link fails the run instead of looping.
import t from 'tap'
import pino from 'pino'
import { createBitbucketConnector } from '../../../src/connectors/bitbucket/bitbucket-connector.js'
import type { Checkpoint, SiteConfig, SyncContext } from '../../../src/connectors/connector.js'
import type { EventDraft } from '../../../src/events/event.js'

const NOW = Date.parse('2026-06-01T00:00:00Z')
const HOUR = 3_600_000
const site: SiteConfig = {
  id: 'acme', site: null, cloudId: null, email: null, jiraApiToken: null, confluenceApiToken: null,
  bitbucketWorkspace: 'acme', bitbucketApiToken: 't', bitbucketEmail: 'a@example.com', orgId: null, orgApiKey: null,
  baseUrls: { jira: null, confluence: null, bitbucket: 'https://bb.test/2.0', admin: 'https://admin.test/admin' }
}

type Pages = Record<string, { values: unknown[], next?: string }>
const commit = (n: number, at: number): unknown => ({ hash: `h${n}`, date: new Date(at).toISOString(), author: { raw: 'x <x@example.com>' } })

function fakeRun (pages: Pages, checkpoint: Checkpoint | null = null): { ctx: SyncContext, requests: string[], drafts: EventDraft[], saved: () => Checkpoint | null } {
  const requests: string[] = []
  const drafts: EventDraft[] = []
  let saved = checkpoint
  const ctx: SyncContext = {
    site, logger: pino({ level: 'silent' }), signal: new AbortController().signal, now: () => new Date(NOW), checkpoint,
    ingest: async (d) => { drafts.push(...d); return { received: d.length, inserted: d.length, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 } },
    commitCheckpoint: async (c) => { saved = JSON.parse(JSON.stringify(c)) as Checkpoint },
    progress: () => {}
  }
  return { ctx, requests, drafts, saved: () => saved }
}

function connectorFor (pages: Pages, requests: string[]) {
  return createBitbucketConnector({
    overlapMs: HOUR,
    clientFor: () => ({
      get: async <T>(path: string): Promise<T> => {
        requests.push(path)
        const key = path.replace(/^https:\/\/bb\.test\/2\.0/, '')
        return (pages[key] ?? { values: [] }) as T
      }
    })
  })
}

const repoPages = (): Pages => ({
  '/repositories/acme': { values: [{ uuid: '{r}', full_name: 'acme/app', slug: 'app' }] }
})

t.test('a second run stops at the watermark on an ordered commit listing', async (t) => {
  const pages: Pages = {
    ...repoPages(),
    '/repositories/acme/app/commits': { values: [commit(3, NOW - HOUR), commit(2, NOW - 3 * HOUR)], next: 'https://bb.test/2.0/repositories/acme/app/commits?page=2' },
    '/repositories/acme/app/commits?page=2': { values: [commit(1, NOW - 10 * HOUR)] }
  }
  const first = fakeRun(pages)
  await connectorFor(pages, first.requests).run(first.ctx)
  t.equal(first.drafts.filter((d) => d.operation === 'commit_pushed').length, 3)
  const cp = first.saved() as { repos: Array<{ streams: { commits: { watermark: number, resume: unknown } } }> }
  t.equal(cp.repos[0]?.streams.commits.watermark, NOW - HOUR, 'watermark = newest commit after a complete walk')
  t.equal(cp.repos[0]?.streams.commits.resume, null)

  const second = fakeRun(pages, first.saved())
  await connectorFor(pages, second.requests).run(second.ctx)
  t.notOk(second.requests.some((r) => r.includes('commits?page=2')), 'page 2 is older than watermark - overlap: not read')
})

t.test('an unordered PR listing (sort ignored) is walked to its end', async (t) => {
  const pr = (id: number, updated: number): unknown => ({ id, created_on: new Date(updated - HOUR).toISOString(), updated_on: new Date(updated).toISOString(), author: { account_id: 'a' } })
  const pages: Pages = {
    ...repoPages(),
    '/repositories/acme/app/pullrequests': { values: [pr(1, NOW - 400 * 24 * HOUR), pr(2, NOW - HOUR)], next: 'https://bb.test/2.0/repositories/acme/app/pullrequests?page=2' },
    '/repositories/acme/app/pullrequests?page=2': { values: [pr(3, NOW - 2 * HOUR)] }
  }
  const run = fakeRun(pages)
  await connectorFor(pages, run.requests).run(run.ctx)
  t.ok(run.requests.some((r) => r.includes('pullrequests?page=2')), 'ascending times on a page disable the early stop')
  t.equal(run.drafts.filter((d) => d.operation === 'pr_opened').length, 3)
})

t.test('a next link that keeps pointing at the same page fails the run with a coded error', async (t) => {
  const stuck = 'https://bb.test/2.0/repositories/acme/app/commits?page=1'
  const pages: Pages = {
    ...repoPages(),
    '/repositories/acme/app/commits': { values: [commit(1, NOW - HOUR)], next: stuck },
    '/repositories/acme/app/commits?page=1': { values: [commit(1, NOW - HOUR)], next: stuck }
  }
  const run = fakeRun(pages)
  await t.rejects(connectorFor(pages, run.requests).run(run.ctx), { code: 'ATL_BITBUCKET_PAGING_STUCK' })
  t.ok(run.requests.length < 20)
})

t.test('not configured without a workspace or token', async (t) => {
  const connector = connectorFor({}, [])
  t.match(connector.notConfiguredReason({ ...site, bitbucketApiToken: null }), /ATLASLENS_BITBUCKET_API_TOKEN/)
  const run = fakeRun({})
  run.ctx.site = { ...site, bitbucketWorkspace: null }
  t.equal((await connector.run(run.ctx)).availability, 'not_configured')
})

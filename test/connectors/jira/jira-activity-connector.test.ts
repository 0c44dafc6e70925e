import t, { type Test } from 'tap'
import { createJiraActivityConnector } from '../../../src/connectors/jira/jira-activity-connector.js'
import { DAY_MS, MINUTE_MS } from '../../../src/connectors/jira/site-api.js'
import { formatJqlDate, updatedSinceJql } from '../../../src/connectors/jira/jira-jql.js'
import type { Harness } from './sync-harness.js'
import { HOSTILE_FAULTS, runUntilOk, startHarness } from './sync-harness.js'

// worklog/updated hides the minute before each request (as Jira does): the window ends two minutes before now.
const window = (now: Date): [Date, Date] => [new Date(now.getTime() - 364 * DAY_MS), new Date(now.getTime() - 2 * MINUTE_MS)]

/** A run context whose ingest records the source record ids it receives (no store), for stubbed-API runs. */
async function recordingContext (now: number): Promise<{ stored: string[]; ctx: unknown }> {
  const stored: string[] = []
  const { default: pino } = await import('pino')
  const ctx = {
    site: (await import('./site-fixture.js')).testSite(),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now: () => new Date(now),
    checkpoint: null,
    ingest: async (drafts: Array<{ source_record_id: string }>) => { stored.push(...drafts.map((d) => d.source_record_id)); return { received: drafts.length, inserted: drafts.length, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 } },
    commitCheckpoint: async () => {},
    progress: () => {}
  }
  return { stored, ctx }
}

async function expectExact (t: Test, h: Harness): Promise<void> {
  const [from, to] = window(h.sim.clock.now())
  const truth = h.sim.groundTruth(from, to)
  t.ok(truth['jira-activity']! > 0 && truth['jsm-activity']! > 0, 'the simulator has Jira and JSM activity')
  t.equal(await h.count('jira-activity', from, to), truth['jira-activity'], 'jira-activity equals ground truth')
  t.equal(await h.count('jsm-activity', from, to), truth['jsm-activity'], 'jsm-activity equals ground truth')
  t.equal(await h.duplicates('jira-activity'), 0)
  t.equal(await h.duplicates('jsm-activity'), 0)
}

t.test('histories, comments, edits and worklogs: exact ground truth, idempotent rerun, new activity later', async (t) => {
  const h = await startHarness(t, 'default')
  const connector = createJiraActivityConnector(h.deps)
  const first = await h.run(connector)
  t.equal(first.availability, 'ok')
  await expectExact(t, h)
  const jsmOnly = await h.mongo.db.collection('events').distinct('object.container', { source: 'jsm-activity' })
  t.same(jsmOnly.sort(), ['HELP', 'HR'], 'JSM events come only from service-desk projects')
  const jiraContainers = await h.mongo.db.collection('events').distinct('object.container', { source: 'jira-activity' })
  t.notOk(jiraContainers.includes('HELP'), 'no second copy of JSM issues as Jira events')

  const second = await h.run(connector)
  t.equal(second.inserted, 0, 'a second run inserts nothing')

  h.sim.clock.advance(2 * DAY_MS)
  const third = await h.run(connector)
  t.ok(third.inserted > 0, 'new activity appears after the clock moves')
  await expectExact(t, h)
})

t.test('a run cancelled mid-backfill resumes and ends exact', async (t) => {
  const h = await startHarness(t, 'default')
  // A tiny issue cache makes worklog attribution fall back to GET /issue/{id} for most worklogs.
  const connector = createJiraActivityConnector(h.deps, { issuePageSize: 25, issueCacheSize: 5 })
  const controller = new AbortController()
  let pages = 0
  await t.rejects(h.run(connector, { signal: controller.signal, onIngest: () => { if (++pages === 3) controller.abort() } }))
  t.type(h.state.checkpoint?.issuesWatermark, 'number', 'the issue watermark was committed page by page')
  const resumed = await h.run(connector)
  t.equal(resumed.availability, 'ok')
  await expectExact(t, h)
})

t.test('JQL bounds are never later than the instant, whatever zone Jira reads them in', async (t) => {
  const at = Date.UTC(2026, 2, 1, 12, 34, 56)
  t.equal(formatJqlDate(at, 'Asia/Tokyo'), '2026-03-01 12:34', 'east of UTC: the UTC wall clock is earlier')
  t.equal(formatJqlDate(at, 'America/New_York'), '2026-03-01 07:34', 'west of UTC: the local wall clock is earlier')
  t.equal(formatJqlDate(at, null), '2026-02-28 22:34', 'unknown zone: 14 h earlier')
  t.equal(formatJqlDate(at, 'Not/AZone'), '2026-02-28 22:34')
  t.equal(updatedSinceJql(at, 'UTC'), 'updated >= "2026-03-01 12:34" ORDER BY updated ASC')
})

t.test('hostile faults (5xx bursts, cut JSON, repeated cursors, odd records, expired token): exact after retries', async (t) => {
  // A fixed clock makes the fault sequence (keyed by request URL) the same on every run of this test.
  // Comments come embedded in search results, so a sync needs few requests: small search pages give the cursor
  // faults pages to act on, and the token expires early enough to land inside the first run.
  const h = await startHarness(t, { ...HOSTILE_FAULTS, expiredTokenAt: 8 }, new Date('2026-06-01T00:00:00Z'))
  const failed = await runUntilOk(h, createJiraActivityConnector(h.deps, { issuePageSize: 5 }))
  t.ok(failed >= 1, 'the expired token failed at least one run')
  await expectExact(t, h)
  t.ok((h.sim.stats().faultsInjected['repeat-cursor'] ?? 0) > 0, 'repeated cursors were served')
  t.ok((h.sim.stats().faultsInjected['server-error'] ?? 0) > 0, '5xx bursts were served')
  t.ok((h.sim.stats().faultsInjected['truncated-json'] ?? 0) > 0, 'cut JSON was served')
})

t.test('an issue deleted between search and read is skipped; a denied search is unavailable', async (t) => {
  const now = Date.UTC(2026, 5, 1)
  const issue = (id: string, key: string, total: number) => ({
    id, key, fields: { summary: key, updated: new Date(now - 1000).toISOString(), project: { key: key.split('-')[0], projectTypeKey: 'software' } },
    changelog: { total, histories: [] }
  })
  const http404 = Object.assign(new Error('gone'), { details: { status: 404 } })
  const api = {
    get: async (path: string): Promise<{ body: unknown }> => {
      if (path.endsWith('/myself')) return { body: { timeZone: 'UTC' } }
      if (path.endsWith('/search/jql')) return { body: { issues: [issue('1', 'A-1', 1), issue('2', 'A-2', 0)], isLast: true } }
      if (path === '/rest/api/3/issue/1/changelog') throw http404
      if (path === '/rest/api/3/issue/2/comment') return { body: { total: 1, comments: [{ id: '5', created: new Date(now - 5000).toISOString(), updated: new Date(now - 5000).toISOString() }] } }
      if (path.endsWith('/worklog/updated')) return { body: { values: [], lastPage: true } }
      throw new Error(`unexpected ${path}`)
    },
    postSearch: async () => ({ body: [] })
  }
  const { stored, ctx } = await recordingContext(now)
  const outcome = await createJiraActivityConnector({ clientFor: () => api as never }).run(ctx as never)
  t.equal(outcome.availability, 'ok')
  t.same(stored, ['comment:5'], 'the readable issue still yields its events')

  const denied = { get: async () => { throw Object.assign(new Error('no'), { details: { status: 403 } }) }, postSearch: async () => ({ body: [] }) }
  const out = await createJiraActivityConnector({ clientFor: () => denied as never }).run(ctx as never)
  t.equal(out.availability, 'unavailable')
  t.match(out.reason, /browse projects/)
})

t.test('embedded comments: a complete list needs no /comment request, a truncated one is paged', async (t) => {
  const now = Date.UTC(2026, 5, 1)
  const at = (ms: number): string => new Date(now - ms).toISOString()
  const comment = (id: string, ms: number) => ({ id, created: at(ms), updated: at(ms) })
  const issue = (id: string, key: string, comments: unknown[], total: number) => ({
    id, key, fields: { summary: key, updated: at(1000), project: { key: 'A', projectTypeKey: 'software' }, comment: { comments, total, startAt: 0, maxResults: comments.length } },
    changelog: { total: 0, histories: [] }
  })
  const requested: string[] = []
  const api = {
    get: async (path: string, query?: Record<string, unknown>): Promise<{ body: unknown }> => {
      requested.push(path)
      if (path.endsWith('/myself')) return { body: { timeZone: 'UTC' } }
      if (path.endsWith('/search/jql')) {
        t.match(String(query?.fields), /\bcomment\b/, 'search asks for the comment field')
        return { body: { issues: [issue('1', 'A-1', [comment('11', 5000)], 1), issue('2', 'A-2', [comment('21', 4000)], 2)], isLast: true } }
      }
      if (path === '/rest/api/3/issue/2/comment') return { body: { total: 2, startAt: 0, comments: [comment('21', 4000), comment('22', 3000)] } }
      if (path.endsWith('/worklog/updated')) return { body: { values: [], lastPage: true } }
      throw new Error(`unexpected ${path}`)
    },
    postSearch: async () => ({ body: [] })
  }
  const { stored, ctx } = await recordingContext(now)
  const outcome = await createJiraActivityConnector({ clientFor: () => api as never }).run(ctx as never)
  t.equal(outcome.availability, 'ok')
  t.same(stored.sort(), ['comment:11', 'comment:21', 'comment:22'])
  t.notOk(requested.includes('/rest/api/3/issue/1/comment'), 'complete embedded list: no /comment request')
  t.ok(requested.includes('/rest/api/3/issue/2/comment'), 'truncated embedded list: paged')
})

import t from 'tap'
import pino from 'pino'
import { runAuditWindows, type AuditPage } from '../../../src/connectors/jira/audit-window-runner.js'
import type { Checkpoint, SyncContext } from '../../../src/connectors/connector.js'
import type { EventDraft } from '../../../src/events/event.js'
import { DAY_MS } from '../../../src/connectors/jira/site-api.js'
import { testSite } from './site-fixture.js'

const NOW = Date.UTC(2026, 5, 1)

function context (checkpoint: Checkpoint | null, stored: EventDraft[][], commits: Checkpoint[], signal = new AbortController().signal): SyncContext {
  return {
    site: testSite(),
    logger: pino({ level: 'silent' }),
    signal,
    now: () => new Date(NOW),
    checkpoint,
    ingest: async (drafts) => { stored.push(drafts); return { received: drafts.length, inserted: drafts.length, alreadyPresent: 0, skippedTooOld: 0, rejected: 0 } },
    commitCheckpoint: async (cp) => { commits.push(structuredClone(cp)) },
    progress: () => {}
  }
}

const draft = (id: string): EventDraft => ({
  site: 's', product: 'jira', pipeline: 'audit', source: 'jira-audit', source_record_id: id, occurred_at: NOW, operation: 'x', actor: null,
  object: { type: 't', id, name: null, container: null, url: null }, summary: id
})

t.test('a repeated page is asked for again instead of skipping the records after it', async (t) => {
  const calls: number[] = []
  let repeatServed = false
  const pages: Record<number, unknown[]> = { 0: [{ id: 1 }, { id: 2 }], 2: [{ id: 3 }, { id: 4 }], 4: [] }
  const stored: EventDraft[][] = []
  const commits: Checkpoint[] = []
  const outcome = await runAuditWindows(context({ watermark: NOW - DAY_MS, window: null }, stored, commits), {
    async fetchPage (_from, _to, offset): Promise<AuditPage> {
      calls.push(offset)
      if (offset === 2 && !repeatServed) { repeatServed = true; return { records: pages[0]!, last: false } }
      const records = pages[offset] ?? []
      return { records, last: records.length === 0 }
    },
    map: (r) => draft(String((r as { id: number }).id)),
    unavailableReason: () => null,
    statusOf: () => null
  }, { pageSize: 2, chunkMs: 30 * DAY_MS, overlapMs: 0 })
  t.same(calls, [0, 2, 2, 4])
  t.same(stored.flat().map((d) => d.source_record_id), ['1', '2', '3', '4'])
  t.equal(outcome.records, 4)
  t.same(commits.at(-1), { watermark: NOW, window: null })
  t.same(commits[0], { watermark: NOW - DAY_MS, window: { from: NOW - DAY_MS, to: NOW, offset: 2 } }, 'mid-window checkpoint keeps the offset')
})

t.test('resumes the stored chunk at its offset, then continues from its end minus the overlap', async (t) => {
  const seen: Array<[number, number, number]> = []
  const stored: EventDraft[][] = []
  const commits: Checkpoint[] = []
  const window = { from: NOW - 40 * DAY_MS, to: NOW - 10 * DAY_MS, offset: 7 }
  await runAuditWindows(context({ watermark: NOW - 40 * DAY_MS, window }, stored, commits), {
    async fetchPage (from, to, offset) { seen.push([from, to, offset]); return { records: [], last: true } },
    map: () => null,
    unavailableReason: () => null,
    statusOf: () => null
  }, { pageSize: 10, chunkMs: 30 * DAY_MS, overlapMs: 60_000 })
  t.same(seen[0], [window.from, window.to, 7])
  t.same(seen[1], [window.to - 60_000, NOW, 0])
  t.equal(commits.at(-1)?.watermark, NOW)
})

t.test('first run backfills the retention window in bounded chunks, oldest first', async (t) => {
  const seen: number[] = []
  await runAuditWindows(context(null, [], []), {
    async fetchPage (from, to) { seen.push(to - from); return { records: [], last: true } },
    map: () => null,
    unavailableReason: () => null,
    statusOf: () => null
  }, { pageSize: 10, chunkMs: 30 * DAY_MS, overlapMs: 0 })
  t.equal(seen.length, 13)
  t.ok(seen.every((span) => span <= 30 * DAY_MS))
})

t.test('a plan/permission status becomes unavailable; other errors propagate; cancel stops', async (t) => {
  const failing = (status: number) => ({
    async fetchPage (): Promise<AuditPage> { throw Object.assign(new Error('x'), { details: { status } }) },
    map: () => null,
    unavailableReason: (s: number) => s === 403 ? 'needs admin' : null,
    statusOf: (err: unknown) => (err as { details: { status: number } }).details.status
  })
  const opts = { pageSize: 10, chunkMs: 30 * DAY_MS, overlapMs: 0 }
  const outcome = await runAuditWindows(context(null, [], []), failing(403), opts)
  t.same(outcome, { availability: 'unavailable', reason: 'needs admin', pages: 0, records: 0, inserted: 0 })
  await t.rejects(runAuditWindows(context(null, [], []), failing(500), opts), /x/)
  const controller = new AbortController()
  controller.abort()
  await t.rejects(runAuditWindows(context(null, [], [], controller.signal), failing(403), opts))
})

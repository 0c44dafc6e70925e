import t from 'tap'
import { buildEvent, LIMITS } from '../../src/events/event-builder.js'
import type { EventDraft } from '../../src/events/event.js'

const at = new Date('2026-06-01T00:00:00Z')
const pseudo = (s: string): string => `pseudo:${s.length}`
const draft = (over: Partial<EventDraft> = {}): EventDraft => ({
  site: 'acme.atlassian.net',
  product: 'jira',
  pipeline: 'audit',
  source: 'jira-audit',
  source_record_id: '42',
  occurred_at: '2026-05-31T10:00:00.000+0000',
  operation: 'Permission Changed',
  actor: null,
  object: { type: 'project', id: '10000', name: 'Apollo', container: 'APO', url: 'https://acme.atlassian.net/browse/APO' },
  summary: 'Permission scheme changed',
  ...over
})

t.test('builds exactly the unified shape and strips everything else', async (t) => {
  const input = { ...draft(), description: 'secret body', raw: { everything: true }, object: { ...draft().object, body: 'x' } } as unknown as EventDraft
  const out = buildEvent(input, at, 'acc-1', pseudo)
  if (!out.ok) throw new Error('expected ok')
  t.same(Object.keys(out.event).sort(), ['_id', 'actor_account_id', 'category', 'changes', 'ingested_at', 'object', 'occurred_at', 'operation', 'pipeline', 'product', 'severity', 'site', 'source', 'source_ip', 'source_record_id', 'summary'].sort())
  t.same(Object.keys(out.event.object).sort(), ['container', 'id', 'name', 'type', 'url'])
  t.equal(out.event.operation, 'permission_changed')
  t.equal(out.event.severity, 'high')
  t.equal(out.event.category, 'security')
  t.equal(out.event.occurred_at.toISOString(), '2026-05-31T10:00:00.000Z')
})

t.test('minimisation: caps, email scrubbing, IP and URL checks', async (t) => {
  const out = buildEvent(draft({
    summary: `Reset by ada@example.com ${'x'.repeat(500)}`,
    source_ip: 'not-an-ip',
    object: { type: 'user', id: 'ada@example.com', name: 'Ada <ada@example.com>', container: null, url: 'javascript:alert(1)' },
    changes: [{ field: 'email', from: 'old@example.com', to: 'new@example.com' }, ...Array.from({ length: 80 }, (_, i) => ({ field: `f${i}`, from: null, to: String(i) }))]
  }), at, null, pseudo)
  if (!out.ok) throw new Error('expected ok')
  const e = out.event
  t.ok(e.summary.length <= LIMITS.summary)
  t.notMatch(JSON.stringify(e), /@example\.com/, 'no email anywhere in the stored event')
  t.equal(e.object.id, 'pseudo:15')
  t.equal(e.source_ip, null)
  t.equal(e.object.url, null)
  t.equal(e.changes.length, LIMITS.changes)
  t.same(e.changes[0], { field: 'email', from: '[email]', to: '[email]' })
  const ok = buildEvent(draft({ source_ip: '2001:db8::1' }), at, null, pseudo)
  t.equal(ok.ok && ok.event.source_ip, '2001:db8::1')
})

t.test('invalid drafts are rejected with a fixed reason', async (t) => {
  const cases: Array<[Partial<EventDraft>, string]> = [
    [{ site: '' }, 'missing_site'],
    [{ product: 'trello' as never }, 'unknown_product'],
    [{ pipeline: 'x' as never }, 'unknown_pipeline'],
    [{ source_record_id: '' }, 'missing_source_record_id'],
    [{ operation: '  ' }, 'missing_operation'],
    [{ object: null as never }, 'missing_object'],
    [{ occurred_at: 'soon' }, 'invalid_time'],
    [{ occurred_at: '2026-06-05T00:00:00Z' }, 'time_in_future']
  ]
  for (const [over, reason] of cases) {
    const out = buildEvent(draft(over), at, null, pseudo)
    t.same(out, { ok: false, reason }, reason)
  }
  t.same(buildEvent(null as never, at, null, pseudo), { ok: false, reason: 'not_an_object' })
})

t.test('an explicit category wins over the table; severity never does', async (t) => {
  const out = buildEvent(draft({ operation: 'issue_created', category: 'security' }), at, null, pseudo)
  t.equal(out.ok && out.event.category, 'security')
  t.equal(out.ok && out.event.severity, 'low')
})

import t from 'tap'
import { Availability, SourceId } from '../../src/connectors/connector.js'
import { stateKey, type ConnectorStateDoc } from '../../src/scheduler/connector-state-repository.js'
import type { LeaseDoc } from '../../src/scheduler/lease-store.js'
import { buildSourceStatus } from '../../src/scheduler/sync-status.js'
import { fakeSite, pagedConnector } from './fake-connectors.js'

const INTERVAL = 15 * 60_000
const now = new Date('2026-05-01T12:00:00Z')
const site = fakeSite('acme.example')
const entry = { site, connector: pagedConnector({ source: SourceId.JiraAudit, pages: 1 }) }
const key = stateKey(site.id, SourceId.JiraAudit)

function state (patch: Partial<ConnectorStateDoc>): ConnectorStateDoc {
  return {
    _id: key, site_id: site.id, source: SourceId.JiraAudit, label: 'x', checkpoint: null, checkpoint_at: null,
    availability: Availability.Ok, reason: null, last_run_at: null, last_finished_at: null, last_success_at: null,
    last_result: null, last_error: null, last_error_at: null, last_run: null, totals: { runs: 0, pages: 0, records: 0, inserted: 0 },
    running: null, next_run_at: null, cancel_requested: false, credential_expires_at: null,
    created_at: new Date(now.getTime() - 60_000), updated_at: now, ...patch
  }
}
const lease = (holder: string): Map<string, LeaseDoc> => new Map([[key, { _id: key, holder, acquired_at: now, renewed_at: now, expires_at: new Date(now.getTime() + 60_000) }]])

t.test('warnings: silent sources, rejected and expiring credentials', async (t) => {
  let v = buildSourceStatus(entry, state({ last_success_at: new Date(now.getTime() - 2 * INTERVAL) }), new Map(), now, INTERVAL)
  t.same(v.warnings, [], 'two intervals without success is not yet silent')
  v = buildSourceStatus(entry, state({ last_success_at: new Date(now.getTime() - 3 * INTERVAL - 1) }), new Map(), now, INTERVAL)
  t.match(v.warnings[0], /^Silent: no successful sync since/)
  v = buildSourceStatus(entry, state({ created_at: new Date(now.getTime() - 4 * INTERVAL), availability: Availability.Error }), new Map(), now, INTERVAL)
  t.match(v.warnings[0], /no successful sync yet/)
  v = buildSourceStatus(entry, state({ availability: Availability.Unavailable, reason: 'requires Atlassian Guard', created_at: new Date(0) }), new Map(), now, INTERVAL)
  t.same(v.warnings, [], 'an unavailable source is explained, not flagged as silent')
  v = buildSourceStatus(entry, state({ availability: Availability.Error, last_error: 'ATL_HTTP_AUTH: Atlassian rejected the credentials (HTTP 401) for acme /x' }), new Map(), now, INTERVAL)
  t.match(v.warnings, [/HTTP 401/])
  v = buildSourceStatus(entry, state({ credential_expires_at: new Date(now.getTime() + 3 * 86_400_000) }), new Map(), now, INTERVAL)
  t.match(v.warnings, [/expires on 2026-05-04/])
  t.equal(v.credentialExpiresAt, '2026-05-04T12:00:00.000Z')
  v = buildSourceStatus(entry, state({ credential_expires_at: new Date(now.getTime() + 60 * 86_400_000) }), new Map(), now, INTERVAL)
  t.same(v.warnings, [], 'a distant expiry is shown, not flagged')
  v = buildSourceStatus(entry, state({}), new Map(), now, INTERVAL)
  t.equal(v.credentialExpiresAt, null, 'not reported')
})

t.test('a run counts as active only while its holder holds the lease', async (t) => {
  const running = { holder: 'A', trigger: 'timer' as const, started_at: now, heartbeat_at: now, pages: 2, records: 10, inserted: 4, window: 'w' }
  t.ok(buildSourceStatus(entry, state({ running }), lease('A'), now, INTERVAL).running)
  t.equal(buildSourceStatus(entry, state({ running }), new Map(), now, INTERVAL).running, null, 'holder died: lease gone')
  t.equal(buildSourceStatus(entry, state({ running }), lease('B'), now, INTERVAL).running, null, 'another holder took over')
  const notConfigured = buildSourceStatus({ site: fakeSite('bare', false), connector: entry.connector }, null, new Map(), now, INTERVAL)
  t.equal(notConfigured.availability, Availability.NotConfigured)
  t.equal(notConfigured.reason, 'No Jira API token configured')
})

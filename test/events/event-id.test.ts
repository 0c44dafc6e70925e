import t from 'tap'
import { eventId } from '../../src/events/event-id.js'

const base = { site: 'acme.atlassian.net', product: 'jira', source: 'jira-activity', sourceRecordId: '10001:changelog:501' }

t.test('deterministic, and each distinct change gets its own id', async (t) => {
  t.equal(eventId(base), eventId({ ...base }))
  t.match(eventId(base), /^jira:[A-Za-z0-9_-]{22}$/)
  const ids = new Set(['501', '502', '503', '504', '505'].map((v) => eventId({ ...base, sourceRecordId: `10001:changelog:${v}` })))
  t.equal(ids.size, 5, 'five updates of one issue are five events')
  t.not(eventId(base), eventId({ ...base, site: 'other.atlassian.net' }))
  t.not(eventId(base), eventId({ ...base, product: 'jsm' }))
  t.not(eventId(base), eventId({ ...base, source: 'jira-audit' }))
  t.not(eventId({ ...base, site: 'a|b', sourceRecordId: 'c' }), eventId({ ...base, site: 'a', sourceRecordId: 'b|c' }), 'no join ambiguity')
})

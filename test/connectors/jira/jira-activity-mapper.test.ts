import t from 'tap'
import { actorOf, issueRefOf, mapChangelogHistory, mapComment, mapWorklog } from '../../../src/connectors/jira/jira-activity-mapper.js'
import { fixture, testSite } from './site-fixture.js'

const site = testSite()
const search = fixture('jira/search-jql-page.json') as { issues: Array<{ changelog?: { histories: unknown[] } }> }
const comments = fixture('jira/comments-page.json') as { comments: unknown[] }
const worklogs = fixture('jira/worklog-list.json') as unknown[]

t.test('issue refs carry key, title, project and the JSM flag', async (t) => {
  t.same(issueRefOf(search.issues[0]), { id: '10042', key: 'ENG-7', title: 'Login page times out', projectKey: 'ENG', jsm: false })
  t.same(issueRefOf(search.issues[1]), { id: '10077', key: 'HELP-3', title: 'Laptop replacement', projectKey: 'HELP', jsm: true })
  t.same(issueRefOf({ id: '1', key: 'ABC-1' }), { id: '1', key: 'ABC-1', title: null, projectKey: 'ABC', jsm: false }, 'project from the key when fields are missing')
  t.equal(issueRefOf({ key: 'X-1' }), null)
})

t.test('each changelog history is one event with field names and short from/to strings', async (t) => {
  const issue = issueRefOf(search.issues[0])!
  const [first, second] = search.issues[0]!.changelog!.histories
  const a = mapChangelogHistory(issue, first, site)
  t.match(a, {
    product: 'jira',
    pipeline: 'activity',
    source: 'jira-activity',
    source_record_id: '10042:history:100501',
    occurred_at: '2026-03-20T10:00:00.000+0000',
    operation: 'issue_transitioned',
    actor: { account_id: '712020:cccc', display_name: 'Aiko Sato', email: 'aiko@example.com', account_status: 'active' },
    object: { type: 'issue', id: '10042', name: 'Login page times out', container: 'ENG', url: 'https://acme.atlassian.net/browse/ENG-7' }
  })
  t.same(a?.changes, [
    { field: 'status', from: 'To Do', to: 'In Progress' },
    { field: 'description', from: null, to: null }
  ], 'description values are never kept')
  t.notMatch(JSON.stringify(a), /secret/)
  const b = mapChangelogHistory(issue, second, site)
  t.equal(b?.operation, 'issue_updated')
  t.same(b?.changes, [{ field: 'assignee', from: null, to: 'Ben Miller' }])
  t.equal(mapChangelogHistory(issue, { id: '1' }, site), null, 'a history without a time is dropped')
})

t.test('JSM issues produce jsm events and request verbs', async (t) => {
  const issue = issueRefOf(search.issues[1])!
  const draft = mapChangelogHistory(issue, { id: '9', created: '2026-03-22T10:00:00.000+0000', items: [{ field: 'status', fromString: 'Open', toString: 'Done' }] }, site)
  t.equal(draft?.product, 'jsm')
  t.equal(draft?.source, 'jsm-activity')
  t.equal(draft?.operation, 'request_transitioned')
})

t.test('comments: a creation event, and an edit event keyed by its time; never the body', async (t) => {
  const issue = issueRefOf(search.issues[0])!
  const created = mapComment(issue, comments.comments[1], 'created', site)
  const edited = mapComment(issue, comments.comments[1], 'updated', site)
  t.match(created, { source_record_id: 'comment:10001', operation: 'comment_added', occurred_at: '2026-03-20T12:00:00.000+0000', actor: { account_id: '712020:dddd' } })
  t.match(edited, { source_record_id: 'comment:10001:updated:1774085400000', operation: 'comment_updated', occurred_at: '2026-03-21T09:30:00.000+0000', actor: { account_id: '712020:eeee' } })
  t.equal(created?.object.url, 'https://acme.atlassian.net/browse/ENG-7?focusedCommentId=10001')
  t.notMatch(JSON.stringify(mapComment(issue, comments.comments[0], 'created', site)), /private comment body/)
})

t.test('worklogs: one event each, with the time spent as a change', async (t) => {
  const issue = issueRefOf(search.issues[1])!
  const draft = mapWorklog(issue, worklogs[0], site)
  t.match(draft, {
    product: 'jsm',
    source: 'jsm-activity',
    source_record_id: 'worklog:10100',
    operation: 'worklog_added',
    occurred_at: '2026-03-22T10:15:00.000+0000',
    object: { type: 'worklog', id: '10100', container: 'HELP', url: 'https://acme.atlassian.net/browse/HELP-3?focusedWorklogId=10100' },
    changes: [{ field: 'timeSpent', from: null, to: '1h 15m' }]
  })
  t.equal(mapWorklog(issue, { id: '1' }, site), null)
})

t.test('actors without an account id are null; empty emails are dropped', async (t) => {
  t.equal(actorOf({ displayName: 'Anonymous' }), null)
  t.same(actorOf({ accountId: 'a', emailAddress: '', active: false }), { account_id: 'a', account_status: 'inactive' })
})

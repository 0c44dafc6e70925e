import t from 'tap'
import { mapContentVersion, type ContentRef } from '../../../src/connectors/confluence/confluence-activity-mapper.js'
import { testSite } from '../jira/site-fixture.js'

const site = testSite()
const page: ContentRef = { id: '200001', type: 'page', title: 'Runbook', spaceKey: 'ENG' }
const blog: ContentRef = { id: '200002', type: 'blogpost', title: 'Release notes', spaceKey: 'PROD' }

t.test('version 1 is the creation, with a deep link and the space key', async (t) => {
  const draft = mapContentVersion(page, { number: 1, createdAt: '2026-03-01T10:00:00.000Z', authorId: '712020:cccc', message: 'private message', minorEdit: false }, site)
  t.match(draft, {
    product: 'confluence',
    pipeline: 'activity',
    source: 'confluence-activity',
    source_record_id: 'page:200001:v1',
    operation: 'page_created',
    occurred_at: '2026-03-01T10:00:00.000Z',
    actor: { account_id: '712020:cccc' },
    object: { type: 'page', id: '200001', name: 'Runbook', container: 'ENG', url: 'https://acme.atlassian.net/wiki/spaces/ENG/pages/200001' },
    changes: []
  })
  t.notMatch(JSON.stringify(draft), /private message/)
})

t.test('later versions are updates of pages and blog posts (v1 shape accepted too)', async (t) => {
  const draft = mapContentVersion(blog, { number: 3, when: '2026-03-05T10:00:00.000Z', by: { accountId: 'b', displayName: 'Ben' } }, site)
  t.match(draft, {
    source_record_id: 'blogpost:200002:v3',
    operation: 'blogpost_updated',
    actor: { account_id: 'b', display_name: 'Ben' },
    object: { url: 'https://acme.atlassian.net/wiki/spaces/PROD/blog/200002' },
    changes: [{ field: 'version', from: '2', to: '3' }]
  })
  t.equal(mapContentVersion({ ...page, spaceKey: null }, { number: 2, createdAt: 1 }, site)?.object.url, 'https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=200001')
})

t.test('versions without a number or time are dropped', async (t) => {
  t.equal(mapContentVersion(page, { createdAt: '2026-03-01T10:00:00.000Z' }, site), null)
  t.equal(mapContentVersion(page, { number: 0, createdAt: '2026-03-01T10:00:00.000Z' }, site), null)
  t.equal(mapContentVersion(page, { number: 2 }, site), null)
})

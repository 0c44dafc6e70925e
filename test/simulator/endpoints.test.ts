import t from 'tap'
import { startSimulator } from '../../src/simulator/index.js'
import { createFetcher, DEFAULT_AUTH } from './walk-helpers.js'

const NOW = new Date('2026-06-01T00:00:00Z')

t.test('endpoint details beyond the full walk', async (t) => {
  const sim = await startSimulator({ seed: 13, now: NOW })
  t.teardown(sim.close)
  const f = createFetcher(sim.url, DEFAULT_AUTH)
  const raw = async (path: string, headers: Record<string, string> = { authorization: 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64') }): Promise<{ status: number, body: any, headers: Headers }> => {
    const res = await fetch(sim.url + path, { headers })
    return { status: res.status, body: await res.json(), headers: res.headers }
  }

  t.test('group membership follows the audited changes', async (t) => {
    const { body: groups } = await f.get('/rest/api/3/group/bulk')
    t.equal(groups.total, 4)
    const { body: audit } = await f.get('/rest/api/3/auditing/record?limit=1000&filter=group')
    const latest = new Map<string, string>()
    // Records are newest first: the first one seen per (group, user) is the current state.
    for (const r of audit.records) {
      const key = `${r.objectItem.name}|${r.associatedItems[0].id}`
      if (!latest.has(key)) latest.set(key, r.summary)
    }
    t.ok(latest.size > 5)
    const members = new Map<string, Set<string>>()
    for (const g of groups.values) {
      const { body } = await f.get(`/rest/api/3/group/member?groupname=${g.name}&includeInactiveUsers=true&maxResults=50`)
      members.set(g.name, new Set(body.values.map((u: { accountId: string }) => u.accountId)))
    }
    for (const [key, summary] of latest) {
      const [group, account] = key.split('|') as [string, string]
      t.equal(members.get(group)!.has(account), summary === 'User added to group', key)
    }
  })

  t.test('JQL: project filter, descending order, unbounded and invalid queries', async (t) => {
    const q = (jql: string): string => `/rest/api/3/search/jql?fields=project,updated&maxResults=100&jql=${encodeURIComponent(jql)}`
    const { body: desc } = await f.get(q('project = HELP AND updated >= "2026-01-01" ORDER BY updated DESC'))
    t.ok(desc.issues.length > 0)
    t.ok(desc.issues.every((i: any) => i.fields.project.key === 'HELP' && i.fields.project.projectTypeKey === 'service_desk'))
    const times = desc.issues.map((i: any) => Date.parse(i.fields.updated.replace('+0000', 'Z')))
    t.same(times, [...times].sort((a, b) => b - a))
    const { body: bounded } = await f.get(q('updated >= "2026-03-01 00:00" AND updated <= "2026-03-15 00:00" ORDER BY updated ASC'))
    t.ok(bounded.issues.every((i: any) => { const u = Date.parse(i.fields.updated.replace('+0000', 'Z')); return u >= Date.parse('2026-03-01T00:00Z') && u <= Date.parse('2026-03-15T00:00Z') }))
    t.equal((await raw(q('ORDER BY updated ASC'))).status, 400, 'unbounded')
    t.equal((await raw(q('assignee = currentUser()'))).status, 400, 'unsupported clause')
    t.equal((await raw(q('project in (NOPE) AND updated >= "2026-01-01"'))).status, 400, 'unknown project')
    const { body: idsOnly } = await f.get(`/rest/api/3/search/jql?jql=${encodeURIComponent('updated >= "2025-01-01"')}&maxResults=2`)
    t.same(Object.keys(idsOnly.issues[0]).sort(), ['expand', 'id', 'key', 'self'], 'default fields: none')
  })

  t.test('comment field in search: at most 20 embedded, the same as the first of /comment, total says the rest', async (t) => {
    const { body } = await f.get(`/rest/api/3/search/jql?fields=summary,comment&maxResults=100&jql=${encodeURIComponent('updated >= "2025-01-01"')}`)
    let withComments = 0
    let checked = 0
    for (const i of body.issues.slice(0, 30)) {
      const embedded = i.fields.comment
      t.ok(embedded.comments.length <= 20 && embedded.comments.length === Math.min(20, embedded.total), i.key)
      if (embedded.total === 0) continue
      withComments++
      const { body: all } = await f.get(`/rest/api/3/issue/${i.key}/comment?maxResults=100`)
      t.equal(all.total, embedded.total)
      t.same(embedded.comments.map((c: { id: string }) => c.id), all.comments.slice(0, 20).map((c: { id: string }) => c.id))
      checked++
    }
    t.ok(withComments > 0 && checked === withComments, 'issues with comments were compared')
    const { body: plain } = await f.get(`/rest/api/3/search/jql?fields=summary&maxResults=1&jql=${encodeURIComponent('updated >= "2025-01-01"')}`)
    t.equal(plain.issues[0].fields.comment, undefined, 'no comment field unless asked for')
  })

  t.test('CQL search history expansions match the versions endpoint (version 1 and n - 1)', async (t) => {
    const cql = encodeURIComponent('type in (page, blogpost) AND lastmodified >= "2025-06-01" ORDER BY lastmodified')
    const { body } = await f.get(`/wiki/rest/api/search?cql=${cql}&limit=40&expand=content.version,content.history,content.history.previousVersion`)
    let compared = 0
    for (const hit of body.results) {
      const c = hit.content
      const { body: versions } = await f.get(`/wiki/api/v2/${c.type === 'page' ? 'pages' : 'blogposts'}/${c.id}/versions?limit=250&sort=modified-date`)
      const byNumber = new Map(versions.results.map((v: { number: number }) => [v.number, v]))
      const first = byNumber.get(1) as { createdAt: string, authorId: string }
      t.equal(c.history.createdDate, first.createdAt, `${c.id} created`)
      t.equal(c.history.createdBy.accountId, first.authorId)
      if (c.version.number >= 2) {
        const prev = byNumber.get(c.version.number - 1) as { createdAt: string, authorId: string }
        t.equal(c.history.previousVersion.number, c.version.number - 1)
        t.equal(c.history.previousVersion.when, prev.createdAt)
        t.equal(c.history.previousVersion.by.accountId, prev.authorId)
        compared++
      } else t.equal(c.history.previousVersion, undefined)
    }
    t.ok(compared > 0, 'items with several versions were compared')
  })

  t.test('changelog truncation in search and full changelog paging', async (t) => {
    const { body } = await f.get(`/rest/api/3/search/jql?expand=changelog&fields=summary&maxResults=100&jql=${encodeURIComponent('updated >= "2025-01-01"')}`)
    const truncated = body.issues.find((i: any) => i.changelog.total > i.changelog.histories.length)
    const full = body.issues.find((i: any) => i.changelog.total === i.changelog.histories.length && i.changelog.total > 0)
    t.ok(full, 'most issues fit in the embedded changelog')
    for (const i of body.issues) t.ok(i.changelog.histories.length <= 20)
    if (truncated !== undefined) {
      const { body: cl } = await f.get(`/rest/api/3/issue/${truncated.key}/changelog?maxResults=5`)
      t.equal(cl.total, truncated.changelog.total)
      t.equal(cl.isLast, false)
      t.match(cl.nextPage, /startAt=5/)
    }
    const { body: issue } = await f.get(`/rest/api/3/issue/${full.key}`)
    t.equal(issue.key, full.key)
    t.type(issue.fields.status.name, 'string')
    t.equal((await raw('/rest/api/3/issue/NOPE-1')).status, 404)
    const { body: wl } = await f.get(`/rest/api/3/issue/${full.key}/worklog`)
    t.type(wl.total, 'number')
  })

  t.test('admin events query pages newest first to the end; users page with a cursor', async (t) => {
    const ids: string[] = []
    let next: string | null = '/admin/v1/orgs/sim-org/events?limit=50&from=' + Date.parse('2026-04-01T00:00Z')
    let prev = Infinity
    while (next !== null) {
      const { body } = await f.get(next) as { body: any }
      for (const e of body.data) {
        const time = Date.parse(e.attributes.time)
        t.ok(time <= prev, 'newest first')
        prev = time
        ids.push(e.id)
      }
      next = body.links.next ?? null
      if (next !== null) t.type(body.meta.next, 'string')
    }
    t.equal(ids.length, sim.handle.groundTruth(new Date('2026-04-01T00:00Z'))['org-events'])
    const { body: logins } = await f.get('/admin/v1/orgs/sim-org/events?action=user_logged_in&limit=20')
    t.ok(logins.data.every((e: any) => e.attributes.action === 'user_logged_in'))
    const users: string[] = []
    let u: string | null = '/admin/v1/orgs/sim-org/users?limit=15'
    while (u !== null) {
      const { body } = await f.get(u) as { body: any }
      users.push(...body.data.map((x: any) => x.account_id))
      t.equal(body.meta.total, 40)
      u = body.links.next ?? null
    }
    t.equal(new Set(users).size, 40)
  })

  t.test('events-stream: from/to window on event time, ascending by processedAt, desc kept in the cursor', async (t) => {
    const from = Date.parse('2026-02-01T00:00:00Z')
    const to = Date.parse('2026-03-01T00:00:00Z')
    const walk = async (order: 'asc' | 'desc'): Promise<Array<{ id: string, time: number, processed: number }>> => {
      const out: Array<{ id: string, time: number, processed: number }> = []
      let url = `/admin/v1/orgs/sim-org/events-stream?limit=25&from=${from}&to=${to}&sortOrder=${order}`
      for (;;) {
        const { body } = await f.get(url)
        if (body.data.length === 0) return out
        for (const e of body.data) out.push({ id: e.id, time: Date.parse(e.attributes.time), processed: Date.parse(e.attributes.processedAt) })
        url = `/admin/v1/orgs/sim-org/events-stream?cursor=${body.meta.next}`
      }
    }
    const asc = await walk('asc')
    t.equal(asc.length, sim.handle.groundTruth(new Date(from), new Date(to))['org-events'])
    t.ok(asc.every((e) => e.time >= from && e.time <= to && e.processed >= e.time))
    t.ok(asc.every((e, i) => i === 0 || e.processed >= asc[i - 1]!.processed), 'ordered by processedAt')
    const desc = await walk('desc')
    t.same(desc.map((e) => e.id), asc.map((e) => e.id).reverse())
  })

  t.test('Bitbucket: PR states, single PR, per-PR activity', async (t) => {
    const states = new Map<string, number>()
    let next: string | null = '/2.0/repositories/acme/api-gateway/pullrequests?state=OPEN&state=MERGED&state=DECLINED&state=SUPERSEDED&pagelen=50'
    const prs: number[] = []
    while (next !== null) {
      const { body } = await f.get(next) as { body: any }
      for (const pr of body.values) { states.set(pr.state, (states.get(pr.state) ?? 0) + 1); prs.push(pr.id) }
      next = body.next ?? null
    }
    t.ok(states.get('MERGED')! > 0 && states.get('OPEN')! > 0 && states.get('DECLINED')! > 0, JSON.stringify([...states]))
    const { body: open } = await f.get('/2.0/repositories/acme/api-gateway/pullrequests?pagelen=50')
    t.ok(open.values.every((p: any) => p.state === 'OPEN'), 'default is OPEN')
    const merged = (await f.get('/2.0/repositories/acme/api-gateway/pullrequests?state=MERGED&pagelen=1')).body.values[0]
    const { body: one } = await f.get(`/2.0/repositories/acme/api-gateway/pullrequests/${merged.id}`)
    t.equal(one.state, 'MERGED')
    t.type(one.closed_by.account_id, 'string')
    const { body: act } = await f.get(`/2.0/repositories/acme/api-gateway/pullrequests/${merged.id}/activity`)
    t.ok(act.values.some((a: any) => a.update?.state === 'MERGED'))
    t.ok(act.values.some((a: any) => a.update?.state === 'OPEN'), 'the opening update')
    t.equal((await raw('/2.0/repositories/acme/api-gateway/pullrequests?state=WEIRD')).status, 400)
    t.equal((await raw('/2.0/repositories/acme/nope/commits')).status, 404)
  })

  t.test('Confluence: spaces, audit/since, search errors, v2 errors and Link header', async (t) => {
    const { body: spaces } = await f.get('/wiki/api/v2/spaces')
    t.equal(spaces.results.length, 5)
    const { body: since } = await f.get('/wiki/rest/api/audit/since?number=1&units=MONTHS&limit=1000')
    t.ok(since.results.every((r: any) => r.creationDate >= NOW.getTime() - 2_592_000_000))
    t.ok(since.size > 0)
    t.equal((await raw('/wiki/rest/api/search?cql=' + encodeURIComponent('creator = me'))).status, 400)
    const bad = await raw('/wiki/api/v2/pages?sort=sideways')
    t.equal(bad.status, 400)
    t.equal(bad.body.errors[0].status, 400)
    const page = await raw('/wiki/api/v2/pages?limit=2')
    t.match(page.headers.get('link'), /^<\/wiki\/api\/v2\/pages\?[^>]*cursor=[^>]+>; rel="next"/)
    t.equal(page.body._links.next, page.headers.get('link')!.slice(1, page.headers.get('link')!.indexOf('>')))
    t.equal((await raw(`/wiki/api/v2/blogposts/${page.body.results[0].id}`)).status, 404, 'a page is not a blog post')
    const { body: single } = await f.get(`/wiki/api/v2/pages/${page.body.results[0].id}`)
    t.equal(single.id, page.body.results[0].id)
  })

  t.test('read-only POST searches: changelog bulkfetch and Confluence users-bulk; content/search', async (t) => {
    const { body: found } = await f.get(`/rest/api/3/search/jql?fields=summary&expand=changelog&maxResults=40&jql=${encodeURIComponent('updated >= "2025-01-01"')}`)
    const keys = found.issues.map((i: any) => i.key)
    const expected = found.issues.reduce((a: number, i: any) => a + i.changelog.total, 0)
    let token: string | undefined
    let seen = 0
    const statusOnly: number[] = []
    for (;;) {
      const { body } = await f.post('/rest/api/3/changelog/bulkfetch', { issueIdsOrKeys: keys, maxResults: 7, ...(token === undefined ? {} : { nextPageToken: token }) })
      for (const l of body.issueChangeLogs) for (const h of l.changeHistories) { seen++; t.type(h.created, 'number') }
      if (body.nextPageToken === undefined) break
      token = body.nextPageToken
    }
    t.equal(seen, expected, 'every history once')
    const { body: filtered } = await f.post('/rest/api/3/changelog/bulkfetch', { issueIdsOrKeys: keys, fieldIds: ['status'] })
    for (const l of filtered.issueChangeLogs) for (const h of l.changeHistories) statusOnly.push(h.items[0].fieldId === 'status' ? 1 : 0)
    t.ok(statusOnly.length > 0 && statusOnly.every((x) => x === 1), 'fieldIds filter')
    const { body: users } = await f.get('/rest/api/3/users/search?maxResults=5')
    const { body: bulk } = await f.post('/wiki/api/v2/users-bulk', { accountIds: users.map((u: any) => u.accountId) })
    t.equal(bulk.results.length, 5)
    t.ok(bulk.results.every((u: any) => typeof u.email === 'string'), 'email is a string, empty when hidden')
    const { body: cs } = await f.get(`/wiki/rest/api/content/search?limit=5&expand=version,history&cql=${encodeURIComponent('lastmodified >= "2026-01-01" order by lastmodified asc')}`)
    t.equal(cs.results.length, 5)
    t.type(cs.results[0].version.by.accountId, 'string')
    t.type(cs.results[0].history.createdBy.accountId, 'string')
    t.match(cs._links.next, /^\/rest\/api\/content\/search\?/)
  })

  t.test('Jira misc: servicedesk, projects, users and worklog/list limits', async (t) => {
    const { body: sd } = await f.get('/rest/servicedeskapi/servicedesk')
    t.same(sd.values.map((v: any) => v.projectKey), ['HELP', 'HR'])
    const { body: projects } = await f.get('/rest/api/3/project/search')
    t.equal(projects.total, 6)
    const { body: page2 } = await f.get('/rest/api/3/users/search?startAt=30&maxResults=50')
    t.equal(page2.length, 10)
    const over = await fetch(`${sim.url}/rest/api/3/worklog/list`, { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from('admin@example.com:sim-token').toString('base64'), 'content-type': 'application/json' }, body: JSON.stringify({ ids: Array.from({ length: 1001 }, (_, i) => i) }) })
    t.equal(over.status, 400)
    const { body: user } = await f.get(`/rest/api/3/user?accountId=${page2[0].accountId}`)
    t.equal(user.accountId, page2[0].accountId)
  })
})

// A straightforward reference walker over every simulator endpoint: what a complete connector must fetch.
// Retries 429/5xx/invalid JSON/one 401 like a careful client, and dedupes by record id (repeat-cursor fault).
import { setTimeout as sleep } from 'node:timers/promises'

export interface WalkAuth { email: string, token: string, orgKey: string, orgId: string, workspace: string }

export const DEFAULT_AUTH: WalkAuth = { email: 'admin@example.com', token: 'sim-token', orgKey: 'sim-org-key', orgId: 'sim-org', workspace: 'acme' }

export interface Fetcher {
  get: (url: string) => Promise<{ body: any, headers: Headers }>
  post: (url: string, body: unknown) => Promise<{ body: any, headers: Headers }>
  retries: number
}

export function createFetcher (base: string, auth: WalkAuth, opts: { maxWaitMs?: number } = {}): Fetcher {
  const basic = 'Basic ' + Buffer.from(`${auth.email}:${auth.token}`).toString('base64')
  const headerFor = (url: string): string => url.includes('/admin/') ? `Bearer ${auth.orgKey}` : basic
  let expiredSeen = false
  const f: Fetcher = {
    retries: 0,
    get: async (url) => call(url, undefined),
    post: async (url, body) => call(url, body)
  }
  const call = async (url: string, body: unknown): Promise<{ body: any, headers: Headers }> => {
    const full = url.startsWith('http') ? url : base + url
    for (let attempt = 0; ; attempt++) {
      if (attempt > 12) throw new Error(`gave up on ${full}`)
      const res = await fetch(full, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: headerFor(full), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
      const text = await res.text()
      // One 401 per walk is treated as an expired token that the caller refreshes.
      const expired = res.status === 401 && !expiredSeen
      if (expired) expiredSeen = true
      if (res.status === 429 || res.status >= 500 || expired) {
        f.retries++
        const ra = res.headers.get('retry-after')
        let wait = 5
        if (ra !== null) wait = /^\d+$/.test(ra) ? Number(ra) * 1000 : Math.max(0, Date.parse(ra) - Date.now())
        await sleep(Math.min(wait, opts.maxWaitMs ?? 60_000))
        continue
      }
      if (res.status !== 200) throw new Error(`${res.status} ${full}: ${text.slice(0, 200)}`)
      try { return { body: JSON.parse(text), headers: res.headers } } catch { f.retries++; continue }
    }
  }
  return f
}

/** Event times (ms) per ground-truth source, keyed by a record identity so repeats are not double counted. */
export type Walked = Record<string, Map<string, number>>

const add = (w: Walked, source: string, id: string, time: number | string): void => {
  const t = typeof time === 'number' ? time : Date.parse(String(time).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
  ;(w[source] ??= new Map()).set(id, t)
}

export async function walkJiraAudit (f: Fetcher, w: Walked): Promise<void> {
  for (let offset = 0; ;) {
    const { body } = await f.get(`/rest/api/3/auditing/record?offset=${offset}&limit=100`)
    for (const r of body.records) add(w, r.eventSource === 'Jira Service Management' ? 'jsm-audit' : 'jira-audit', String(r.id), r.created)
    offset += body.records.length
    if (body.records.length === 0 || offset >= body.total) break
  }
}

export async function walkConfluenceAudit (f: Fetcher, w: Walked): Promise<void> {
  for (let start = 0; ;) {
    const { body } = await f.get(`/wiki/rest/api/audit?start=${start}&limit=100`)
    for (const r of body.results) add(w, 'confluence-audit', `${r.creationDate}|${r.summary}|${r.author?.accountId}`, r.creationDate)
    start += body.results.length
    if (body.size < 100) break
  }
}

export async function walkOrgEvents (f: Fetcher, w: Walked, orgId: string): Promise<string | null> {
  let cursor: string | null = null
  for (let guard = 0; guard < 10_000; guard++) {
    const url: string = `/admin/v1/orgs/${orgId}/events-stream?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`
    const { body } = await f.get(url)
    for (const e of body.data) add(w, 'org-events', e.id, e.attributes.time)
    cursor = body.meta.next
    if (body.data.length === 0) break
  }
  return cursor
}

export async function walkJiraActivity (f: Fetcher, w: Walked, since = '1970-01-01 00:00'): Promise<void> {
  const jsmIssue = new Map<string, boolean>()
  let token: string | undefined
  const jql = `updated >= "${since}" ORDER BY updated ASC`
  for (;;) {
    const { body } = await f.post('/rest/api/3/search/jql', { jql, fields: ['project', 'updated'], maxResults: 50, ...(token === undefined ? {} : { nextPageToken: token }) })
    for (const issue of body.issues) {
      const jsm = issue.fields.project.projectTypeKey === 'service_desk'
      jsmIssue.set(issue.id, jsm)
      const source = jsm ? 'jsm-activity' : 'jira-activity'
      for (let startAt = 0; ;) {
        const { body: cl } = await f.get(`/rest/api/3/issue/${issue.key}/changelog?startAt=${startAt}&maxResults=100`)
        for (const h of cl.values) add(w, source, `h${h.id}`, h.created)
        startAt += cl.values.length
        if (cl.isLast === true || cl.values.length === 0) break
      }
      for (let startAt = 0; ;) {
        const { body: cm } = await f.get(`/rest/api/3/issue/${issue.key}/comment?startAt=${startAt}&maxResults=100`)
        for (const c of cm.comments) {
          add(w, source, `c${c.id}`, c.created)
          if (c.updated !== c.created) add(w, source, `c${c.id}u`, c.updated)
        }
        startAt += cm.comments.length
        if (cm.comments.length === 0 || startAt >= cm.total) break
      }
    }
    if (body.isLast === true || body.nextPageToken === undefined) break
    token = body.nextPageToken
  }
  let since0: string = '/rest/api/3/worklog/updated?since=0'
  for (;;) {
    const { body } = await f.get(since0)
    const ids = body.values.map((v: { worklogId: number }) => v.worklogId)
    if (ids.length > 0) {
      const { body: logs } = await f.post('/rest/api/3/worklog/list', { ids })
      for (const l of logs) add(w, jsmIssue.get(l.issueId) === true ? 'jsm-activity' : 'jira-activity', `w${l.id}`, l.updated)
    }
    if (body.lastPage === true) break
    since0 = body.nextPage
  }
}

export async function walkConfluenceActivity (f: Fetcher, w: Walked): Promise<void> {
  for (const kind of ['pages', 'blogposts']) {
    let next: string | null = `/wiki/api/v2/${kind}?limit=100`
    while (next !== null) {
      const { body } = await f.get(next) as { body: any }
      for (const c of body.results) {
        let vnext: string | null = `/wiki/api/v2/${kind}/${c.id}/versions?limit=100`
        while (vnext !== null) {
          const { body: vb } = await f.get(vnext) as { body: any }
          for (const v of vb.results) add(w, 'confluence-activity', `${c.id}v${v.number}`, v.createdAt)
          vnext = vb._links.next ?? null
        }
      }
      next = body._links.next ?? null
    }
  }
}

export async function walkBitbucket (f: Fetcher, w: Walked, workspace: string): Promise<void> {
  let next: string | null = `/2.0/repositories/${workspace}?pagelen=100`
  const repos: string[] = []
  while (next !== null) {
    const { body } = await f.get(next) as { body: any }
    for (const r of body.values) repos.push(r.slug)
    next = body.next ?? null
  }
  for (const slug of repos) {
    let c: string | null = `/2.0/repositories/${workspace}/${slug}/commits?pagelen=100`
    while (c !== null) {
      const { body } = await f.get(c) as { body: any }
      for (const x of body.values) add(w, 'bitbucket-activity', `commit:${x.hash}`, x.date)
      c = body.next ?? null
    }
    let a: string | null = `/2.0/repositories/${workspace}/${slug}/pullrequests/activity?pagelen=50`
    while (a !== null) {
      const { body } = await f.get(a) as { body: any }
      for (const x of body.values) {
        const kind = Object.keys(x).find((k) => k !== 'pull_request')!
        const item = x[kind]
        const date = item.date ?? item.created_on
        const who = (item.user ?? item.author)?.uuid
        add(w, 'bitbucket-activity', `${slug}|${x.pull_request.id}|${kind}|${item.state ?? ''}|${date}|${who}`, date)
      }
      a = body.next ?? null
    }
  }
}

export async function walkAll (f: Fetcher, auth: WalkAuth, guard: boolean): Promise<Walked> {
  const w: Walked = {}
  await walkJiraAudit(f, w)
  await walkConfluenceAudit(f, w)
  if (guard) await walkOrgEvents(f, w, auth.orgId)
  await walkJiraActivity(f, w)
  await walkConfluenceActivity(f, w)
  await walkBitbucket(f, w, auth.workspace)
  return w
}

/** Counts per source of walked records with event time in [from, to]. */
export function countWalked (w: Walked, from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of ['jira-audit', 'jsm-audit', 'confluence-audit', 'org-events', 'jira-activity', 'jsm-activity', 'confluence-activity', 'bitbucket-activity']) {
    let n = 0
    for (const t of (w[s] ?? new Map()).values()) if (t >= from && t <= to) n++
    out[s] = n
  }
  return out
}

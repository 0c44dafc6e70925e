// Jira issues and their activity (changelog histories, comments, worklogs) in compact columns.
// An issue's `updated` is derived from its visible activity at clock-now, so advancing the clock moves it.
import { createRng } from './prng.js'
import { pickWeighted, sortedInstants, upperBound } from './timeline.js'
import { DAY, type OrgModel } from './org-model.js'

export interface JiraData {
  issues: number
  created: Float64Array
  project: Uint8Array
  reporter: Uint32Array
  /** Sequence number inside the project: key = `${project.key}-${seq}`. */
  seq: Uint32Array
  hStart: Uint32Array
  hTime: Float64Array
  hAuthor: Uint32Array
  cStart: Uint32Array
  cTime: Float64Array
  /** Edit time of the comment, NaN if never edited. */
  cEdit: Float64Array
  cAuthor: Uint32Array
  wStart: Uint32Array
  wTime: Float64Array
  wAuthor: Uint32Array
  wSeconds: Uint32Array
  wIssue: Uint32Array
  /** Worklog indexes sorted by time (worklog/updated), and their times in that order. */
  wOrder: Uint32Array
  wSorted: Float64Array
  /** All touches (history, comment create/edit, worklog) per issue, sorted: gives `updated`. */
  tStart: Uint32Array
  tTime: Float64Array
  /** Event times for ground truth, sorted, split by project type. */
  truthJira: Float64Array
  truthJsm: Float64Array
  byKey: Map<string, number>
}

export const HISTORY_ID_BASE = 100000
export const COMMENT_ID_BASE = 10000
export const WORKLOG_ID_BASE = 10000
export const ISSUE_ID_BASE = 10001

export function buildJiraData (org: OrgModel, activityTarget: number): JiraData {
  const rng = createRng(org.seed ^ 0x1551)
  const issues = Math.max(4, Math.round(activityTarget / 7))
  const created = sortedInstants(rng, issues, org.t0, org.t1 - DAY)
  const project = new Uint8Array(issues)
  const reporter = new Uint32Array(issues)
  const seq = new Uint32Array(issues)
  const perProject = new Uint32Array(org.projects.length)
  const weights = org.projects.map((p) => p.weight)
  const people = org.people.length
  const h: { t: number[], a: number[] } = { t: [], a: [] }
  const c: { t: number[], e: number[], a: number[] } = { t: [], e: [], a: [] }
  const w: { t: number[], a: number[], s: number[], i: number[] } = { t: [], a: [], s: [], i: [] }
  const hStart = new Uint32Array(issues + 1)
  const cStart = new Uint32Array(issues + 1)
  const wStart = new Uint32Array(issues + 1)
  const tStart = new Uint32Array(issues + 1)
  const touches: number[] = []
  const truthJira: number[] = []
  const truthJsm: number[] = []
  const byKey = new Map<string, number>()
  for (let i = 0; i < issues; i++) {
    const p = pickWeighted(weights, rng())
    project[i] = p
    seq[i] = ++perProject[p]!
    reporter[i] = Math.floor(rng() * people)
    byKey.set(`${org.projects[p]!.key}-${seq[i]!}`, i)
    hStart[i] = h.t.length
    cStart[i] = c.t.length
    wStart[i] = w.t.length
    const k = 1 + Math.min(60, Math.floor(-Math.log(1 - rng()) * 6))
    const ih: number[] = []
    const ic: number[] = []
    const iw: number[] = []
    let t = created[i]!
    for (let j = 0; j < k; j++) {
      t += 60_000 + Math.floor(-Math.log(1 - rng()) * 3 * DAY)
      if (t > org.t1) break
      const u = rng()
      if (u < 0.55) ih.push(t)
      else if (u < 0.8) ic.push(t)
      else iw.push(t)
    }
    const truth = org.projects[p]!.typeKey === 'service_desk' ? truthJsm : truthJira
    const itouch: number[] = []
    for (const ht of ih) { h.t.push(ht); h.a.push(Math.floor(rng() * people)); itouch.push(ht); truth.push(ht) }
    for (const ct of ic) {
      let edit = Number.NaN
      if (rng() < 0.25) {
        const e = ct + 60_000 + Math.floor(-Math.log(1 - rng()) * DAY)
        if (e <= org.t1) edit = e
      }
      c.t.push(ct); c.e.push(edit); c.a.push(Math.floor(rng() * people))
      itouch.push(ct); truth.push(ct)
      if (!Number.isNaN(edit)) { itouch.push(edit); truth.push(edit) }
    }
    for (const wt of iw) {
      w.t.push(wt); w.a.push(Math.floor(rng() * people)); w.s.push(900 * (1 + Math.floor(rng() * 16))); w.i.push(i)
      itouch.push(wt)
    }
    itouch.sort((a, b) => a - b)
    tStart[i] = touches.length
    for (const x of itouch) touches.push(x)
  }
  hStart[issues] = h.t.length
  cStart[issues] = c.t.length
  wStart[issues] = w.t.length
  tStart[issues] = touches.length
  const wTime = Float64Array.from(w.t)
  const wOrder = new Uint32Array(wTime.length)
  for (let i = 0; i < wOrder.length; i++) wOrder[i] = i
  wOrder.sort((a, b) => (wTime[a]! - wTime[b]!) || (a - b))
  // worklog/updated pages by time: make worklog times unique so `since` is never ambiguous.
  let prev = -Infinity
  for (const idx of wOrder) {
    if (wTime[idx]! <= prev) wTime[idx] = prev + 1
    prev = wTime[idx]!
  }
  for (let x = 0; x < wTime.length; x++) {
    const issue = w.i[x]!
    ;(org.projects[project[issue]!]!.typeKey === 'service_desk' ? truthJsm : truthJira).push(wTime[x]!)
  }
  const wSorted = new Float64Array(wOrder.length)
  for (let i = 0; i < wOrder.length; i++) wSorted[i] = wTime[wOrder[i]!]!
  const tj = Float64Array.from(truthJira); tj.sort()
  const ts = Float64Array.from(truthJsm); ts.sort()
  return {
    issues,
    created,
    project,
    reporter,
    seq,
    hStart,
    hTime: Float64Array.from(h.t),
    hAuthor: Uint32Array.from(h.a),
    cStart,
    cTime: Float64Array.from(c.t),
    cEdit: Float64Array.from(c.e),
    cAuthor: Uint32Array.from(c.a),
    wStart,
    wTime,
    wAuthor: Uint32Array.from(w.a),
    wSeconds: Uint32Array.from(w.s),
    wIssue: Uint32Array.from(w.i),
    wOrder,
    wSorted,
    tStart,
    tTime: Float64Array.from(touches),
    truthJira: tj,
    truthJsm: ts,
    byKey
  }
}

/** The issue's `updated` at clock-now: its latest visible touch, or its creation. */
export function issueUpdated (d: JiraData, i: number, now: number): number {
  const lo = d.tStart[i]!
  const hi = d.tStart[i + 1]!
  const pos = upperBound(d.tTime, now, lo, hi)
  return pos > lo ? d.tTime[pos - 1]! : d.created[i]!
}


export function isEdited (d: JiraData, c: number, now: number): boolean {
  const e = d.cEdit[c]!
  return !Number.isNaN(e) && e <= now
}

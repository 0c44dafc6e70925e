// Bitbucket commits, pull requests and pull-request activity in compact columns, grouped per repository.
import { createRng } from './prng.js'
import { sortedInstants } from './timeline.js'
import { DAY, type OrgModel } from './org-model.js'

export const PrActivity = Object.freeze({ Opened: 0, Comment: 1, Approval: 2, ChangesRequested: 3, Updated: 4, Merged: 5, Declined: 6, Superseded: 7 } as const)
export type PrActivity = typeof PrActivity[keyof typeof PrActivity]

export interface BitbucketData {
  /** Commits of repo r are cByRepo[cRepoStart[r] .. cRepoStart[r+1]), sorted by time ascending. */
  commits: number
  cTime: Float64Array
  cAuthor: Uint32Array
  cRepo: Uint16Array
  cRepoStart: Uint32Array
  prs: number
  prRepo: Uint16Array
  /** PR number inside its repository. */
  prNumber: Uint32Array
  prAuthor: Uint32Array
  prCreated: Float64Array
  /** PRs of repo r are prRepoStart[r] .. prRepoStart[r+1]) (ordered by number). */
  prRepoStart: Uint32Array
  aStart: Uint32Array
  aTime: Float64Array
  aKind: Uint8Array
  aActor: Uint32Array
  aPr: Uint32Array
  /** Activity indexes of repo r sorted by time ascending: aByRepo[aRepoStart[r] ..). */
  aByRepo: Uint32Array
  aRepoStart: Uint32Array
  aByRepoTime: Float64Array
  truthCommits: Float64Array
  truthActivity: Float64Array
}

export function buildBitbucketData (org: OrgModel, target: number): BitbucketData {
  const rng = createRng(org.seed ^ 0xB1B1)
  const repos = Math.max(1, org.repos.length)
  const people = org.people.length
  const nCommits = Math.max(4, Math.round(target * 0.5))
  const cTimeAll = sortedInstants(rng, nCommits, org.t0, org.t1)
  const cRepoAll = new Uint16Array(nCommits)
  const repoWeights = Array.from({ length: repos }, (_, r) => 1 + ((r * 7) % 5))
  const totalW = repoWeights.reduce((a, b) => a + b, 0)
  const pickRepo = (): number => {
    let x = rng() * totalW
    for (let r = 0; r < repos; r++) { x -= repoWeights[r]!; if (x < 0) return r }
    return repos - 1
  }
  const counts = new Uint32Array(repos + 1)
  for (let i = 0; i < nCommits; i++) { const r = pickRepo(); cRepoAll[i] = r; counts[r + 1]!++ }
  const cRepoStart = new Uint32Array(repos + 1)
  for (let r = 0; r < repos; r++) cRepoStart[r + 1] = cRepoStart[r]! + counts[r + 1]!
  const fill = cRepoStart.slice(0, repos)
  const cTime = new Float64Array(nCommits)
  const cAuthor = new Uint32Array(nCommits)
  const cRepo = new Uint16Array(nCommits)
  for (let i = 0; i < nCommits; i++) {
    const r = cRepoAll[i]!
    const at = fill[r]!++
    cTime[at] = cTimeAll[i]!
    cRepo[at] = r
    cAuthor[at] = Math.floor(rng() * people)
  }

  const nPrs = Math.max(2, Math.round(target * 0.5 / 5))
  const prCreatedAll = sortedInstants(rng, nPrs, org.t0, org.t1 - DAY)
  const prRepoAll = new Uint16Array(nPrs)
  const prCounts = new Uint32Array(repos + 1)
  for (let i = 0; i < nPrs; i++) { const r = pickRepo(); prRepoAll[i] = r; prCounts[r + 1]!++ }
  const prRepoStart = new Uint32Array(repos + 1)
  for (let r = 0; r < repos; r++) prRepoStart[r + 1] = prRepoStart[r]! + prCounts[r + 1]!
  const prFill = prRepoStart.slice(0, repos)
  const prRepo = new Uint16Array(nPrs)
  const prNumber = new Uint32Array(nPrs)
  const prAuthor = new Uint32Array(nPrs)
  const prCreated = new Float64Array(nPrs)
  for (let i = 0; i < nPrs; i++) {
    const r = prRepoAll[i]!
    const at = prFill[r]!++
    prRepo[at] = r
    prNumber[at] = at - prRepoStart[r]! + 1
    prAuthor[at] = Math.floor(rng() * people)
    prCreated[at] = prCreatedAll[i]!
  }
  const aStart = new Uint32Array(nPrs + 1)
  const at: number[] = []
  const ak: number[] = []
  const aa: number[] = []
  const ap: number[] = []
  for (let p = 0; p < nPrs; p++) {
    aStart[p] = at.length
    let t = prCreated[p]!
    at.push(t); ak.push(PrActivity.Opened); aa.push(prAuthor[p]!); ap.push(p)
    const k = Math.floor(-Math.log(1 - rng()) * 3)
    for (let j = 0; j < k; j++) {
      t += 60_000 + Math.floor(-Math.log(1 - rng()) * 0.7 * DAY)
      if (t > org.t1) break
      const u = rng()
      const kind = u < 0.45 ? PrActivity.Comment : u < 0.75 ? PrActivity.Approval : u < 0.85 ? PrActivity.ChangesRequested : PrActivity.Updated
      at.push(t); ak.push(kind); aa.push(kind === PrActivity.Updated ? prAuthor[p]! : Math.floor(rng() * people)); ap.push(p)
    }
    const u = rng()
    const final = u < 0.55 ? PrActivity.Merged : u < 0.7 ? PrActivity.Declined : u < 0.75 ? PrActivity.Superseded : -1
    if (final >= 0) {
      t += 60_000 + Math.floor(-Math.log(1 - rng()) * DAY)
      if (t <= org.t1) { at.push(t); ak.push(final); aa.push(final === PrActivity.Merged ? Math.floor(rng() * people) : prAuthor[p]!); ap.push(p) }
    }
  }
  aStart[nPrs] = at.length
  const aTime = Float64Array.from(at)
  const aPr = Uint32Array.from(ap)
  const aRepoStart = new Uint32Array(repos + 1)
  for (let r = 0; r < repos; r++) {
    let n = 0
    for (let p = prRepoStart[r]!; p < prRepoStart[r + 1]!; p++) n += aStart[p + 1]! - aStart[p]!
    aRepoStart[r + 1] = aRepoStart[r]! + n
  }
  const aByRepo = new Uint32Array(at.length)
  for (let r = 0; r < repos; r++) {
    const idx: number[] = []
    for (let p = prRepoStart[r]!; p < prRepoStart[r + 1]!; p++) for (let a = aStart[p]!; a < aStart[p + 1]!; a++) idx.push(a)
    idx.sort((x, y) => (aTime[x]! - aTime[y]!) || (x - y))
    aByRepo.set(idx, aRepoStart[r]!)
  }
  const aByRepoTime = new Float64Array(at.length)
  for (let i = 0; i < at.length; i++) aByRepoTime[i] = aTime[aByRepo[i]!]!
  const truthActivity = Float64Array.from(at)
  truthActivity.sort()
  return {
    commits: nCommits,
    cTime,
    cAuthor,
    cRepo,
    cRepoStart,
    prs: nPrs,
    prRepo,
    prNumber,
    prAuthor,
    prCreated,
    prRepoStart,
    aStart,
    aTime,
    aKind: Uint8Array.from(ak),
    aActor: Uint32Array.from(aa),
    aPr,
    aByRepo,
    aRepoStart,
    aByRepoTime,
    truthCommits: Float64Array.from(cTimeAll),
    truthActivity
  }
}

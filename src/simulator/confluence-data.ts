// Confluence pages and blog posts with their versions, in compact columns.
import { createRng } from './prng.js'
import { upperBound, sortedInstants } from './timeline.js'
import { DAY, type OrgModel } from './org-model.js'

export interface ConfluenceData {
  contents: number
  created: Float64Array
  /** 0 = page, 1 = blogpost. */
  type: Uint8Array
  space: Uint8Array
  author: Uint32Array
  vStart: Uint32Array
  vTime: Float64Array
  vAuthor: Uint32Array
  /** All version times, sorted (ground truth). */
  truth: Float64Array
}

export const CONTENT_ID_BASE = 200001

export function buildConfluenceData (org: OrgModel, versionTarget: number): ConfluenceData {
  const rng = createRng(org.seed ^ 0xC0FE)
  const contents = Math.max(4, Math.round(versionTarget / 3.5))
  const created = sortedInstants(rng, contents, org.t0, org.t1 - DAY)
  const type = new Uint8Array(contents)
  const space = new Uint8Array(contents)
  const author = new Uint32Array(contents)
  const vStart = new Uint32Array(contents + 1)
  const vt: number[] = []
  const va: number[] = []
  const people = org.people.length
  for (let i = 0; i < contents; i++) {
    type[i] = rng() < 0.75 ? 0 : 1
    space[i] = Math.floor(rng() * org.spaces.length)
    author[i] = Math.floor(rng() * people)
    vStart[i] = vt.length
    vt.push(created[i]!)
    va.push(author[i]!)
    const k = Math.min(40, Math.floor(-Math.log(1 - rng()) * 2.5))
    let t = created[i]!
    for (let j = 0; j < k; j++) {
      t += 60_000 + Math.floor(-Math.log(1 - rng()) * 5 * DAY)
      if (t > org.t1) break
      vt.push(t)
      va.push(rng() < 0.5 ? author[i]! : Math.floor(rng() * people))
    }
  }
  vStart[contents] = vt.length
  const truth = Float64Array.from(vt)
  truth.sort()
  return { contents, created, type, space, author, vStart, vTime: Float64Array.from(vt), vAuthor: Uint32Array.from(va), truth }
}

/** Number of versions of content i visible at now (0 = content not visible yet). */
export function visibleVersions (d: ConfluenceData, i: number, now: number): number {
  const lo = d.vStart[i]!
  return upperBound(d.vTime, now, lo, d.vStart[i + 1]!) - lo
}

// The small, eagerly built part of the org: people, groups, projects, spaces and repositories.
// Everything is a pure function of (seed, sizes), so two simulators with one seed serve the same org.
import { createRng, hashHex, hashPick, hashUnit } from './prng.js'
import {
  HOSTILE, JAPANESE_FAMILY, JAPANESE_GIVEN, JAPANESE_KANJI, LATIN_FAMILY, LATIN_GIVEN, REPO_SLUGS
} from './names.js'

export const DAY = 86_400_000
export const YEAR = 365 * DAY
/** Activity keeps arriving this long after the start instant, so advancing the clock reveals records. */
export const FUTURE = 30 * DAY

export interface Person {
  index: number
  accountId: string
  bitbucketUuid: string
  displayName: string
  /** Set when the person was renamed: the name before `renamedAt`. */
  previousName: string | null
  renamedAt: number | null
  email: string
  /** Jira exposes emailAddress only for these (profile visibility). */
  jiraEmailVisible: boolean
  /** The admin users API omits `email` for these. */
  adminEmailRestricted: boolean
  active: boolean
  deactivatedAt: number | null
  createdAt: number
  timeZone: string
}

export interface Group { index: number, name: string, groupId: string }
export interface Project { index: number, id: string, key: string, name: string, typeKey: 'software' | 'business' | 'service_desk', weight: number, serviceDeskId: string | null }
export interface Space { index: number, id: string, key: string, name: string, type: 'global' | 'personal', createdAt: number, homepageId: string }
export interface Repo { index: number, uuid: string, slug: string, name: string, createdAt: number, language: string, isPrivate: boolean }

export interface OrgModel {
  seed: number
  start: number
  /** Earliest record time (start - 1 year) and latest (start + FUTURE). */
  t0: number
  t1: number
  hostile: boolean
  people: Person[]
  groups: Group[]
  projects: Project[]
  spaces: Space[]
  repos: Repo[]
}

const PROJECTS: Array<Omit<Project, 'index' | 'id' | 'serviceDeskId'>> = [
  { key: 'ENG', name: 'Engineering', typeKey: 'software', weight: 5 },
  { key: 'WEB', name: 'Website', typeKey: 'software', weight: 3 },
  { key: 'MOB', name: 'Mobile', typeKey: 'software', weight: 2 },
  { key: 'OPS', name: 'Operations', typeKey: 'business', weight: 1 },
  { key: 'HELP', name: 'IT Help Desk', typeKey: 'service_desk', weight: 3 },
  { key: 'HR', name: 'People Requests', typeKey: 'service_desk', weight: 1 }
]
const SPACES = [['ENG', 'Engineering'], ['PROD', 'Product'], ['HR', 'People Team'], ['SUP', 'Support'], ['MKT', 'Marketing']] as const
const GROUPS = ['team-platform', 'team-product', 'team-support', 'team-design'] as const
const LANGS = ['typescript', 'go', 'python', 'kotlin', 'terraform'] as const

/** Optionally mixes a hostile string into a label (about 1 in 6 when hostile mode is on). */
export function maybeHostile (org: Pick<OrgModel, 'hostile' | 'seed'>, base: string, ...key: number[]): string {
  if (!org.hostile || hashUnit(org.seed, 0x405, ...key) >= 1 / 6) return base
  return `${base} ${hashPick(HOSTILE, org.seed, 0x406, ...key)}`
}

function uuid (...parts: number[]): string {
  const h = hashHex(32, ...parts)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function buildOrgModel (seed: number, start: number, peopleCount: number, repoCount: number, hostile: boolean, adminEmail: string): OrgModel {
  const rng = createRng(seed ^ 0x0A11CE)
  const t0 = start - YEAR
  const org: OrgModel = { seed, start, t0, t1: start + FUTURE, hostile, people: [], groups: [], projects: [], spaces: [], repos: [] }
  const used = new Set<string>()
  for (let i = 0; i < peopleCount; i++) {
    const japanese = rng() < 0.5
    let name = ''
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = japanese
        ? (rng() < 0.2 ? JAPANESE_KANJI[Math.floor(rng() * JAPANESE_KANJI.length)]! : `${JAPANESE_GIVEN[Math.floor(rng() * JAPANESE_GIVEN.length)]!} ${JAPANESE_FAMILY[Math.floor(rng() * JAPANESE_FAMILY.length)]!}`)
        : `${LATIN_GIVEN[Math.floor(rng() * LATIN_GIVEN.length)]!} ${LATIN_FAMILY[Math.floor(rng() * LATIN_FAMILY.length)]!}`
      name = used.has(n) ? `${n} ${i}` : n
      if (!used.has(name)) break
    }
    used.add(name)
    const renamed = i > 0 && rng() < 0.12
    const deactivated = i > 0 && rng() < 0.1
    const createdAt = t0 - Math.floor(rng() * YEAR)
    const local = `user${i}.${hashHex(4, seed, i)}`
    const current = renamed ? `${name.split(' ')[0]!} ${japanese ? JAPANESE_FAMILY[Math.floor(rng() * JAPANESE_FAMILY.length)]! : LATIN_FAMILY[Math.floor(rng() * LATIN_FAMILY.length)]!}-Renamed` : name
    org.people.push({
      index: i,
      accountId: `712020:${uuid(seed, 0xACC, i)}`,
      bitbucketUuid: `{${uuid(seed, 0xB17, i)}}`,
      displayName: maybeHostile(org, current, 0xD1, i),
      previousName: renamed ? name : null,
      // Renames and deactivations happen in the past year, before the start instant.
      renamedAt: renamed ? t0 + Math.floor(rng() * (YEAR - DAY)) : null,
      email: i === 0 ? adminEmail : `${local}@example.com`,
      jiraEmailVisible: i === 0 || rng() < 0.4,
      adminEmailRestricted: i !== 0 && rng() < 0.15,
      active: !deactivated,
      deactivatedAt: deactivated ? t0 + Math.floor(rng() * (YEAR - DAY)) : null,
      createdAt,
      timeZone: japanese ? 'Asia/Tokyo' : 'Europe/Berlin'
    })
  }
  GROUPS.forEach((name, index) => org.groups.push({ index, name, groupId: uuid(seed, 0x6A, index) }))
  let sd = 1
  PROJECTS.forEach((p, index) => org.projects.push({
    ...p,
    name: maybeHostile(org, p.name, 0x9A, index),
    index,
    id: String(10000 + index),
    serviceDeskId: p.typeKey === 'service_desk' ? String(sd++) : null
  }))
  SPACES.forEach(([key, name], index) => org.spaces.push({
    index,
    id: String(65536 + index * 7),
    key,
    name: maybeHostile(org, name, 0x5A, index),
    type: 'global',
    createdAt: t0 - (index + 1) * 30 * DAY,
    homepageId: String(90000 + index)
  }))
  for (let index = 0; index < repoCount; index++) {
    const base = REPO_SLUGS[index % REPO_SLUGS.length]!
    const slug = index < REPO_SLUGS.length ? base : `${base}-${Math.floor(index / REPO_SLUGS.length) + 1}`
    org.repos.push({
      index,
      uuid: `{${uuid(seed, 0x7E, index)}}`,
      slug,
      name: maybeHostile(org, slug, 0x7F, index),
      createdAt: t0 - (index + 1) * 10 * DAY,
      language: LANGS[index % LANGS.length]!,
      isPrivate: true
    })
  }
  return org
}

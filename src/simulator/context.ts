// What every route module needs: the world, the clock, faults, identity helpers and small caches.
import type { FastifyRequest } from 'fastify'
import type { SimClock } from './clock.js'
import type { FaultDecision, FaultEngine } from './faults.js'
import { FaultKind } from './faults.js'
import type { World } from './world.js'
import type { Person } from './org-model.js'

export interface SimCredentials { email: string, token: string, orgKey: string }

export interface SimContext {
  world: World
  clock: SimClock
  faults: FaultEngine
  credentials: SimCredentials
  orgId: string
  workspace: string
  stats: { requests: number, byRoute: Record<string, number> }
  /** Small LRU for snapshot listings (a cursor pages through the listing as of its snapshot time). */
  snapshot: <T>(key: string, build: () => T) => T
}

declare module 'fastify' {
  interface FastifyRequest { simFault?: FaultDecision }
}

export function createSnapshotCache (max = 16): SimContext['snapshot'] {
  const cache = new Map<string, unknown>()
  return <T>(key: string, build: () => T): T => {
    if (cache.has(key)) {
      const v = cache.get(key) as T
      cache.delete(key)
      cache.set(key, v)
      return v
    }
    const v = build()
    cache.set(key, v)
    if (cache.size > max) cache.delete(cache.keys().next().value as string)
    return v
  }
}

export function origin (req: FastifyRequest): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`
}

/** True when this response should hand back its own cursor as "next" (repeat-cursor fault); counts it. */
export function repeatCursor (ctx: SimContext, req: FastifyRequest): boolean {
  if (req.simFault?.repeatCursor !== true) return false
  ctx.faults.count(FaultKind.RepeatCursor)
  return true
}

/** Record families for per-record quirk decisions. */
export const QuirkTag = Object.freeze({ User: 1, History: 2, Comment: 3, Worklog: 4, JiraAudit: 5, ConfluenceAudit: 6, Content: 7, Version: 8, Commit: 9, PrActivity: 10, OrgEvent: 11, AdminUser: 12 } as const)

/** Missing optional fields (mode 1) or unexpected extra fields (mode 2), fixed per record. */
export function quirk<T extends Record<string, unknown>> (ctx: SimContext, kind: number, id: number, record: T, optional: readonly string[]): T {
  const mode = ctx.faults.quirk(kind, id)
  if (mode === 0) return record
  ctx.faults.count(FaultKind.RecordQuirk)
  const r: Record<string, unknown> = { ...record }
  if (mode === 1) for (const k of optional) delete r[k]
  else { r.simUnexpectedField = { note: 'fields a future API version might add', n: id }; r.x_extra = null }
  return r as T
}

export function encodeCursor (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function decodeCursor<T> (cursor: string | undefined): T | null {
  if (cursor === undefined || cursor === '') return null
  try { return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T } catch { return null }
}

export function intParam (v: unknown, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isFinite(n)) return def
  return Math.max(min, Math.min(max, Math.floor(n)))
}

/** Jira's timestamp style: 2026-01-31T10:05:00.000+0000. */
export function jiraTime (ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000')
}

/** Bitbucket's: 2026-01-31T10:05:00.123000+00:00. */
export function bitbucketTime (ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00')
}

export function isoTime (ms: number): string { return new Date(ms).toISOString() }

export function avatarUrls (p: Person): Record<string, string> {
  const u = `https://avatar-management.example/${p.accountId}`
  return { '48x48': `${u}/48`, '24x24': `${u}/24`, '16x16': `${u}/16`, '32x32': `${u}/32` }
}

export function toArray (v: unknown): string[] {
  if (v === undefined) return []
  const arr = Array.isArray(v) ? v : [v]
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter((s) => s !== '')
}

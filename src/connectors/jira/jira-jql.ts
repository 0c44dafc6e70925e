// JQL/CQL date bounds. Jira reads "yyyy-MM-dd HH:mm" in the *searching user's* time zone, with minute precision;
// a site (or a simulator) may fall back to UTC. We send the earlier wall-clock string of "user zone" and "UTC", so
// under either reading the bound is at or before the instant we mean: the search can over-read, never under-read.
// With no known zone we step back 14 h (the largest UTC offset) from UTC instead. Overlap costs only re-reads,
// which ingest absorbs (idempotent ids).
import { MINUTE_MS } from './site-api.js'

export const UNKNOWN_ZONE_SLACK_MS = 14 * 60 * MINUTE_MS

function validZone (timeZone: string | null): string | null {
  if (timeZone === null || timeZone === '') return null
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0)
    return timeZone
  } catch {
    return null
  }
}

/** "yyyy-MM-dd HH:mm" wall-clock time of the instant in the zone (seconds dropped, which only widens a >= bound). */
export function wallClock (ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  }).formatToParts(new Date(ms))
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00'
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}

/** A lower bound for `updated >=` / `lastmodified >=` that is never later than `ms`, whatever zone the server reads it in. */
export function formatJqlDate (ms: number, timeZone: string | null): string {
  const zone = validZone(timeZone)
  if (zone === null) return wallClock(ms - UNKNOWN_ZONE_SLACK_MS, 'UTC')
  const local = wallClock(ms, zone)
  const utc = wallClock(ms, 'UTC')
  // Same format, so string order is wall-clock order.
  return local < utc ? local : utc
}

/** Issues updated at or after `fromMs`, oldest first. */
export function updatedSinceJql (fromMs: number, timeZone: string | null): string {
  return `updated >= "${formatJqlDate(fromMs, timeZone)}" ORDER BY updated ASC`
}

// JQL date bounds. JQL compares `updated` against "yyyy-MM-dd HH:mm" read in the *searching user's* time zone,
// with minute precision. We format the bound in that zone (from /rest/api/3/myself); when the zone is unknown we
// format in UTC and step back 14 h (the largest UTC offset), so the search can only over-read, never under-read.
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

/** "yyyy-MM-dd HH:mm" for the instant, in the zone (rounded down to the minute, which only widens the bound). */
export function formatJqlDate (ms: number, timeZone: string | null): string {
  const zone = validZone(timeZone)
  const instant = zone === null ? ms - UNKNOWN_ZONE_SLACK_MS : ms
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone ?? 'UTC',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  }).formatToParts(new Date(instant))
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00'
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}

/** Issues updated at or after `fromMs`, oldest first. */
export function updatedSinceJql (fromMs: number, timeZone: string | null): string {
  return `updated >= "${formatJqlDate(fromMs, timeZone)}" ORDER BY updated ASC`
}

// Shared by the event-store tests (not a test file): draft builders and a log-capturing pino logger.
import pino, { type Logger } from 'pino'
import type { EventDraft } from '../../src/events/event.js'

export function captureLogger (): { logger: Logger, lines: string[] } {
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(s) } })
  return { logger, lines }
}

export const NOW = new Date('2026-11-29T12:00:00.000Z')

/** An issue-changelog draft: record id carries the history id, so each change is its own event. */
export function jiraChange (i: number, over: Partial<EventDraft> = {}): EventDraft {
  const minutes = i % 600
  return {
    site: 'acme.atlassian.net',
    product: 'jira',
    pipeline: 'activity',
    source: 'jira-activity',
    source_record_id: `1000${i % 7}:changelog:${5000 + i}`,
    occurred_at: new Date(NOW.getTime() - (1 + (i % 20)) * 86_400_000 - minutes * 60_000).toISOString().replace('Z', '+0000'),
    operation: i % 3 === 0 ? 'issue_created' : 'issue_transitioned',
    actor: { account_id: `acc-${i % 5}`, display_name: `User ${i % 5}` },
    object: { type: 'issue', id: `1000${i % 7}`, name: `Issue ${i % 7}`, container: i % 2 === 0 ? 'APO' : 'GEM', url: `https://acme.atlassian.net/browse/APO-${i % 7}` },
    changes: [{ field: 'status', from: 'To Do', to: 'In Progress' }],
    summary: `Issue ${i % 7} changed`,
    ...over
  }
}

export function pages (count: number, size: number, start = 0): EventDraft[][] {
  return Array.from({ length: count }, (_, p) => Array.from({ length: size }, (_, i) => jiraChange(start + p * size + i)))
}

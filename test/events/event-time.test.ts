import t from 'tap'
import { normaliseTime, utcDay } from '../../src/events/event-time.js'

t.test('every source format becomes the same UTC instant', async (t) => {
  const expected = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
  t.equal(normaliseTime('2026-01-02T03:04:05.678+0000')?.getTime(), expected, 'Jira +0000')
  t.equal(normaliseTime('2026-01-02T12:04:05.678+0900')?.getTime(), expected, 'compact non-UTC offset')
  t.equal(normaliseTime('2026-01-01T22:04:05.678-05:00')?.getTime(), expected, 'ISO offset with colon')
  t.equal(normaliseTime('2026-01-02T03:04:05.678Z')?.getTime(), expected, 'ISO Z')
  t.equal(normaliseTime('2026-01-02T03:04:05.678')?.getTime(), expected, 'zone-less is UTC')
  t.equal(normaliseTime('2026-01-02 03:04:05.678')?.getTime(), expected, 'space separator')
  t.equal(normaliseTime(expected)?.getTime(), expected, 'epoch ms (Confluence creationDate)')
  t.equal(normaliseTime(String(expected))?.getTime(), expected, 'epoch ms as digits')
  t.equal(normaliseTime(new Date(expected))?.getTime(), expected, 'Date')
})

t.test('garbage is rejected, not guessed', async (t) => {
  for (const bad of ['', 'yesterday', '2026-13-45T00:00:00Z', NaN, Infinity, null, undefined, {}, new Date('x'), true]) {
    t.equal(normaliseTime(bad), null, String(bad))
  }
})

t.test('utcDay truncates to midnight UTC', async (t) => {
  t.equal(utcDay(new Date('2026-03-04T23:59:59.999+0900'.replace('+0900', '+09:00'))).toISOString(), '2026-03-04T00:00:00.000Z')
})

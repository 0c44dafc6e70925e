import t from 'tap'
import pino from 'pino'
import bcrypt from 'bcryptjs'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { ensureEventIndexes } from '../../src/events/event-indexes.js'
import { createIngest } from '../../src/events/ingest.js'
import { buildComplianceReport, type ComplianceReport } from '../../src/compliance/compliance-report.js'
import type { EventDraft } from '../../src/events/event.js'

const logger = pino({ level: 'silent' })
const DAY = 86_400_000
const control = (r: ComplianceReport, id: string) => {
  const c = r.controls.find((x) => x.id === id)
  if (!c) throw new Error(`no control ${id}`)
  return c
}
const draft = (id: string, at: Date): EventDraft => ({
  site: 's', product: 'jira', pipeline: 'activity', source: 'jira-activity', source_record_id: id, occurred_at: at,
  operation: 'issue_created', actor: { account_id: 'a1', display_name: 'Ada', email: 'ada@example.com' },
  object: { type: 'issue', id: '1', name: 'x', container: 'P', url: null }, summary: 'created'
})

t.test('a healthy store passes every measurable control', async (t) => {
  const { db } = await startTestMongo(t)
  const keys = [generateFernetKey(), generateFernetKey()]
  const cipher = createFieldCipher(keys)
  await ensureEventIndexes(db, logger)
  // Events ingested ~a year ago (clock in the past), then "expired" by removing them as the TTL monitor would.
  const past = new Date(Date.now() - 375 * DAY)
  const oldIngest = createIngest({ db, logger, cipher, blindIndex: createBlindIndex(keys), retentionSeconds: 31_536_000, encryptDisplayNames: false, now: () => past })
  await oldIngest([draft('old-1', new Date(past.getTime() - DAY)), draft('old-2', new Date(past.getTime() - 2 * DAY))])
  const ingest = createIngest({ db, logger, cipher, blindIndex: createBlindIndex(keys), retentionSeconds: 31_536_000, encryptDisplayNames: false })
  await ingest([draft('new-1', new Date(Date.now() - DAY))])
  await db.collection('admins').insertOne({ username: 'op', password_hash: await bcrypt.hash('pw', 4) })

  const before = await buildComplianceReport({ db, cipher, encryptDisplayNames: false })
  t.equal(control(before, 'retention_expired_30d').status, 'fail', 'events past retention still stored are overdue')
  t.match(control(before, 'retention_expired_30d').value, /0 expired, 2 overdue/)
  t.equal(control(before, 'oldest_event').status, 'fail')

  await db.collection('events').deleteMany({ occurred_at: { $lt: new Date(Date.now() - 365 * DAY) } })
  const r = await buildComplianceReport({ db, cipher, encryptDisplayNames: false })
  t.equal(control(r, 'retention_ttl').status, 'pass')
  t.match(control(r, 'retention_ttl').value, /31,536,000/)
  t.equal(control(r, 'oldest_event').status, 'pass')
  t.equal(control(r, 'retention_expired_30d').status, 'pass')
  t.match(control(r, 'retention_expired_30d').value, /^2 expired, 0 overdue/)
  t.equal(control(r, 'plaintext_emails').status, 'pass')
  t.match(control(r, 'plaintext_emails').value, /^0 of 1/)
  t.equal(control(r, 'admin_passwords').status, 'pass')
  t.equal(control(r, 'encryption_key').status, 'pass')
  t.match(control(r, 'encryption_key').value, new RegExp(cipher.keyFingerprint()))
  t.notMatch(JSON.stringify(r), new RegExp(keys[0]!.slice(0, 16)), 'never the key itself')
  t.equal(control(r, 'atlassian_read_only').status, 'pass')
  t.equal(control(r, 'display_names').status, 'info', 'the deviation is disclosed')
  t.match(control(r, 'display_names').detail, /Compensating controls/)
  t.equal(r.summary.fail, 0)
})

t.test('violations are reported, not hidden', async (t) => {
  const { db } = await startTestMongo(t)
  const keys = [generateFernetKey()]
  const cipher = createFieldCipher(keys)
  await db.collection('events').createIndex({ occurred_at: 1 }, { expireAfterSeconds: 3600 })
  await db.collection('identities').insertOne({ _id: 'x' as never, display_name: 'Leaky', note: { contact: 'leaky@example.com' } })
  await db.collection('identities').insertOne({ _id: 'y' as never, display_name: null, email_enc: createFieldCipher([generateFernetKey()]).encrypt('z@example.com') })
  await db.collection('admins').insertOne({ username: 'bad', password_hash: 'plaintext' })
  const r = await buildComplianceReport({ db, cipher, encryptDisplayNames: true })
  t.equal(control(r, 'retention_ttl').status, 'fail')
  t.match(control(r, 'retention_ttl').value, /3,600/)
  t.equal(control(r, 'plaintext_emails').status, 'fail', 'found in a nested field')
  t.equal(control(r, 'admin_passwords').status, 'fail')
  t.match(control(r, 'admin_passwords').value, /^1 of 1/)
  t.equal(control(r, 'encryption_key').status, 'fail', 'a token no configured key can read')
  t.equal(control(r, 'display_names').status, 'warn', 'strict mode with a plaintext name left')
  t.ok(r.summary.fail >= 4)
})

import t from 'tap'
import pino from 'pino'
import { startTestMongo } from '../helpers/mongo-for-tests.js'
import { createTeamsRepository } from '../../src/teams/teams-repository.js'
import { createBlindIndex, createFieldCipher, generateFernetKey } from '../../src/crypto/field-cipher.js'
import { createIngest } from '../../src/events/ingest.js'
import type { EventDraft } from '../../src/events/event.js'

const { db } = await startTestMongo(t)
const logger = pino({ level: 'silent' })
const teams = createTeamsRepository({ db, logger })
await teams.ensureIndexes()
const d = (day: number): Date => new Date(Date.UTC(2026, 5, day))

t.test('audit membership changes: the subject joins and leaves; a late older record cannot undo a newer one', async (t) => {
  await teams.applyMembershipChanges([
    { site: 's', group: 'jira-admins', account_id: 'alice', action: 'added', at: d(1) },
    { site: 's', group: 'jira-admins', account_id: 'bob', action: 'added', at: d(2) }
  ])
  t.same(await teams.listMembers('s', 'jira-admins'), ['alice', 'bob'])
  await teams.applyMembershipChanges([{ site: 's', group: 'jira-admins', account_id: 'bob', action: 'removed', at: d(5) }])
  t.same(await teams.listMembers('s', 'jira-admins'), ['alice'], 'removal removes')
  await teams.applyMembershipChanges([{ site: 's', group: 'jira-admins', account_id: 'bob', action: 'added', at: d(3) }])
  t.same(await teams.listMembers('s', 'jira-admins'), ['alice'], 'an older add replayed later loses')
  // Both in one batch, out of order: applied oldest first.
  await teams.applyMembershipChanges([
    { site: 's', group: 'devs', account_id: 'carol', action: 'removed', at: d(9) },
    { site: 's', group: 'devs', account_id: 'carol', action: 'added', at: d(8) }
  ])
  t.same(await teams.listMembers('s', 'devs'), [])
  t.same(await teams.listGroupsOf('alice'), [{ site: 's', group: 'jira-admins' }])
  t.same((await teams.listGroups('s')).map((g) => g.name), ['devs', 'jira-admins'])
})

t.test('directory sync replaces a group’s members', async (t) => {
  t.same(await teams.replaceGroupMembers({ site: 's', name: 'qa', id: 'g-1' }, ['x', 'y', 'z']), { active: 3, removed: 0 })
  t.same(await teams.replaceGroupMembers({ site: 's', name: 'qa', id: 'g-1' }, ['y', 'w']), { active: 2, removed: 2 })
  t.same(await teams.listMembers('s', 'qa'), ['w', 'y'])
})

t.test('ingest applies membership changes for the member, not the admin, and only once', async (t) => {
  const keys = [generateFernetKey()]
  const now = new Date('2026-07-01T00:00:00Z')
  const ingest = createIngest({ db, logger, cipher: createFieldCipher(keys), blindIndex: createBlindIndex(keys), retentionSeconds: 31_536_000, encryptDisplayNames: false, teams, now: () => now })
  const draft = (id: string, action: 'added' | 'removed', at: string): EventDraft => ({
    site: 'acme', product: 'admin', pipeline: 'audit', source: 'org-events', source_record_id: id, occurred_at: at,
    operation: 'group_membership_changed', actor: { account_id: 'the-admin', display_name: 'Admin' },
    object: { type: 'group', id: 'g-ops', name: 'ops', container: null, url: null }, summary: `User ${action}`,
    membership: { group: 'ops', account_id: 'dave', action }
  })
  await ingest([draft('e1', 'added', '2026-06-10T00:00:00Z')])
  t.same(await teams.listMembers('acme', 'ops'), ['dave'])
  t.same(await teams.listGroupsOf('the-admin'), [], 'the admin who made the change is not a member')
  await ingest([draft('e2', 'removed', '2026-06-11T00:00:00Z')])
  t.same(await teams.listMembers('acme', 'ops'), [])
  const again = await ingest([draft('e1', 'added', '2026-06-10T00:00:00Z')])
  t.equal(again.alreadyPresent, 1)
  t.same(await teams.listMembers('acme', 'ops'), [], 're-reading the old page does not re-add')
})

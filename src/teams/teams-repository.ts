// Groups and memberships, fed by the directory sync (authoritative current state) and by audit events
// (membership changes; the member is the subject of the event, not the admin who made the change).
import type { AnyBulkWriteOperation, Db } from 'mongodb'
import type { Logger } from 'pino'
import type { MembershipChange } from '../events/event.js'

export const GROUPS = 'groups'
export const GROUP_MEMBERSHIPS = 'group_memberships'

export interface GroupDoc {
  _id: string
  site: string
  name: string
  group_id: string | null
  updated_at: Date
}

/**
 * A removal is stored as `active: false` with its time instead of a delete: the tombstone lets a late page
 * carrying an older "added" record lose against the newer removal. Readers only ever see active rows.
 */
export interface MembershipDoc {
  _id: string
  site: string
  group: string
  account_id: string
  active: boolean
  changed_at: Date
  source: 'audit' | 'directory'
}

export interface TimedMembershipChange extends MembershipChange {
  site: string
  at: Date
}

export interface GroupRef {
  site: string
  name: string
  id?: string | null
}

const groupKey = (site: string, name: string): string => JSON.stringify([site, name])
const memberKey = (site: string, group: string, accountId: string): string => JSON.stringify([site, group, accountId])

export function createTeamsRepository (opts: { db: Db, logger: Logger, now?: () => Date }) {
  const { db, logger } = opts
  const now = opts.now ?? (() => new Date())
  const groups = db.collection<GroupDoc>(GROUPS)
  const members = db.collection<MembershipDoc>(GROUP_MEMBERSHIPS)

  function membershipOps (site: string, group: string, accountId: string, active: boolean, at: Date, source: MembershipDoc['source']): Array<AnyBulkWriteOperation<MembershipDoc>> {
    const _id = memberKey(site, group, accountId)
    return [
      { updateOne: { filter: { _id }, update: { $setOnInsert: { site, group, account_id: accountId, active, changed_at: at, source } }, upsert: true } },
      // Applies only when this change is newer than what is stored (the insert above already covers a new row).
      { updateOne: { filter: { _id, changed_at: { $lt: at } }, update: { $set: { active, changed_at: at, source } } } }
    ]
  }

  /** Applies audit-event membership changes (one ordered bulkWrite, oldest first). */
  async function applyMembershipChanges (changes: TimedMembershipChange[]): Promise<number> {
    const valid = changes.filter((c) => c.group && c.account_id && (c.action === 'added' || c.action === 'removed'))
    if (valid.length === 0) return 0
    valid.sort((a, b) => a.at.getTime() - b.at.getTime())
    const at = now()
    const groupOps: Array<AnyBulkWriteOperation<GroupDoc>> = []
    const seen = new Set<string>()
    for (const c of valid) {
      const key = groupKey(c.site, c.group)
      if (seen.has(key)) continue
      seen.add(key)
      groupOps.push({ updateOne: { filter: { _id: key }, update: { $setOnInsert: { site: c.site, name: c.group, group_id: null }, $set: { updated_at: at } }, upsert: true } })
    }
    const ops = valid.flatMap((c) => membershipOps(c.site, c.group, c.account_id, c.action === 'added', c.at, 'audit'))
    await groups.bulkWrite(groupOps, { ordered: false })
    await members.bulkWrite(ops, { ordered: true })
    return valid.length
  }

  /** Directory sync: the given members become the group's full active membership; everyone else is removed. */
  async function replaceGroupMembers (group: GroupRef, accountIds: string[]): Promise<{ active: number, removed: number }> {
    const at = now()
    const wanted = new Set(accountIds.filter((id) => typeof id === 'string' && id !== ''))
    await groups.updateOne(
      { _id: groupKey(group.site, group.name) },
      { $set: { site: group.site, name: group.name, group_id: group.id ?? null, updated_at: at } },
      { upsert: true }
    )
    const current = await members.find({ site: group.site, group: group.name, active: true }, { projection: { account_id: 1 } }).toArray()
    const ops: Array<AnyBulkWriteOperation<MembershipDoc>> = []
    let removed = 0
    for (const m of current) {
      if (!wanted.has(m.account_id)) {
        ops.push({ updateOne: { filter: { _id: m._id }, update: { $set: { active: false, changed_at: at, source: 'directory' } } } })
        removed++
      }
    }
    for (const id of wanted) ops.push(...membershipOps(group.site, group.name, id, true, at, 'directory'))
    if (ops.length > 0) await members.bulkWrite(ops, { ordered: true })
    logger.debug({ group: group.name, active: wanted.size, removed }, 'group membership replaced')
    return { active: wanted.size, removed }
  }

  async function listMembers (site: string, group: string): Promise<string[]> {
    const docs = await members.find({ site, group, active: true }).sort({ account_id: 1 }).toArray()
    return docs.map((d) => d.account_id)
  }

  async function listGroupsOf (accountId: string): Promise<Array<{ site: string, group: string }>> {
    const docs = await members.find({ account_id: accountId, active: true }).sort({ group: 1 }).toArray()
    return docs.map((d) => ({ site: d.site, group: d.group }))
  }

  async function listGroups (site?: string): Promise<GroupDoc[]> {
    return await groups.find(site ? { site } : {}).sort({ name: 1 }).toArray()
  }

  async function ensureIndexes (): Promise<void> {
    await members.createIndexes([
      { key: { site: 1, group: 1, active: 1, account_id: 1 }, name: 'group_members' },
      { key: { account_id: 1, active: 1 }, name: 'account_groups' }
    ])
  }

  return { applyMembershipChanges, replaceGroupMembers, listMembers, listGroupsOf, listGroups, ensureIndexes }
}

export type TeamsRepository = ReturnType<typeof createTeamsRepository>

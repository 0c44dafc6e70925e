// Builds the SyncContext directory sink from the identities and teams repositories, for one site.
import type { DirectorySink } from '../connector.js'
import type { IdentitiesRepository } from '../../identities/identities-repository.js'
import type { TeamsRepository } from '../../teams/teams-repository.js'

export function createDirectorySink (identities: Pick<IdentitiesRepository, 'upsertFromDirectory'>, teams: Pick<TeamsRepository, 'replaceGroupMembers'>, siteId: string): DirectorySink {
  return {
    upsertUsers: async (users) => await identities.upsertFromDirectory(users, siteId),
    replaceGroupMembers: async (group, accountIds) => await teams.replaceGroupMembers({ site: siteId, name: group.name, id: group.id ?? null }, accountIds)
  }
}

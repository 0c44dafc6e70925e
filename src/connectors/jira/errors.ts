// Coded errors of the Jira and Confluence connectors (messages carry no secrets, bodies or query strings).
import createError from '@fastify/error'

export const PagingLoopError = createError('ATL_CONNECTOR_PAGING_LOOP', '%s kept returning the same page cursor', 502)
export const SyncCancelledError = createError('ATL_CONNECTOR_CANCELLED', 'Sync of %s was cancelled', 499)

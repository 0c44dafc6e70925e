// Coded errors of the Bitbucket connector.
import createError from '@fastify/error'

export const BitbucketPagingStuckError = createError('ATL_BITBUCKET_PAGING_STUCK', 'Bitbucket kept returning the same next link for %s; the run stops and the next one resumes from the checkpoint', 502)

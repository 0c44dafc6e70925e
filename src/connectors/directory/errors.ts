// Coded errors of the directory connector.
import createError from '@fastify/error'

export const DirectorySinkMissingError = createError('ATL_DIRECTORY_SINK_MISSING', 'The directory connector needs a directory sink (identities and teams) in its sync context', 500)

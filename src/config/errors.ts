import createError from '@fastify/error'

// Message lists every problem at once; values of secrets never appear in it.
export const ConfigInvalidError = createError('ATL_CONFIG_INVALID', 'Invalid configuration: %s', 500)

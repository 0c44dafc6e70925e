import createError from '@fastify/error'

export const InvalidOperatorLogEntryError = createError('ATL_OPERATOR_LOG_INVALID', 'Invalid operator log entry: %s', 500)

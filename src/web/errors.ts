import createError from '@fastify/error'

export const NotFoundError = createError('ATL_NOT_FOUND', 'Not found: %s', 404)

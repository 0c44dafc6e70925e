// Coded errors of the auth domain. Messages never name which part of a credential was wrong.
import createError from '@fastify/error'

/** The one message for every failed login: unknown user, wrong password and disabled account look alike. */
export const LOGIN_FAILED_MESSAGE = 'Invalid username or password.'

export const LoginFailedError = createError('ATL_LOGIN_FAILED', LOGIN_FAILED_MESSAGE, 401)
export const NotAuthenticatedError = createError('ATL_NOT_AUTHENTICATED', 'Authentication required', 401)
export const TooManyAttemptsError = createError('ATL_TOO_MANY_ATTEMPTS', 'Too many failed sign-in attempts. Try again in %s seconds.', 429)
export const AdminExistsError = createError('ATL_ADMIN_EXISTS', 'An admin named "%s" already exists', 409)
export const AdminNotFoundError = createError('ATL_ADMIN_NOT_FOUND', 'No admin named "%s"', 404)
export const InvalidUsernameError = createError('ATL_INVALID_USERNAME', 'Invalid username: %s', 400)
export const WeakPasswordError = createError('ATL_WEAK_PASSWORD', 'Password refused: %s', 400)

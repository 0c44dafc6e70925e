// Coded errors for field encryption. Messages never include key material or plaintext.
import createError from '@fastify/error'

export const CryptoKeyInvalidError = createError('ATL_CRYPTO_KEY_INVALID', 'Encryption key %s is not a Fernet key (32 url-safe base64 bytes)', 500)
export const CryptoNoKeyError = createError('ATL_CRYPTO_NO_KEY', 'At least one encryption key is required', 500)
export const CryptoTokenInvalidError = createError('ATL_CRYPTO_TOKEN_INVALID', 'Fernet token rejected: %s', 500)

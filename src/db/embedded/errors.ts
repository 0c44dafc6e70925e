// Coded errors: ATL_ errors for the store's own lifecycle, and MongoServerError-shaped errors for the wire.
import createError from '@fastify/error'

export const StoreLocked = createError('ATL_STORE_LOCKED', 'Data directory %s is in use by another store process (pid %s)', 500)
export const StoreOptionsInvalid = createError('ATL_STORE_OPTIONS_INVALID', 'Embedded store options are invalid: %s', 500)

/** An error the wire layer turns into `{ok: 0, errmsg, code, codeName}`. */
export class CommandError extends Error {
  readonly code: number
  readonly codeName: string
  readonly extra: Record<string, unknown>
  constructor (code: number, codeName: string, message: string, extra: Record<string, unknown> = {}) {
    super(message)
    this.code = code
    this.codeName = codeName
    this.extra = extra
  }
}

export const Codes = Object.freeze({
  BadValue: [2, 'BadValue'],
  FailedToParse: [9, 'FailedToParse'],
  TypeMismatch: [14, 'TypeMismatch'],
  InvalidBSON: [22, 'InvalidBSON'],
  NamespaceNotFound: [26, 'NamespaceNotFound'],
  IndexNotFound: [27, 'IndexNotFound'],
  CursorNotFound: [43, 'CursorNotFound'],
  NamespaceExists: [48, 'NamespaceExists'],
  InvalidOptions: [72, 'InvalidOptions'],
  IndexOptionsConflict: [85, 'IndexOptionsConflict'],
  IndexKeySpecsConflict: [86, 'IndexKeySpecsConflict'],
  CommandNotFound: [59, 'CommandNotFound'],
  ImmutableField: [66, 'ImmutableField'],
  InvalidNamespace: [73, 'InvalidNamespace'],
  InvalidIdField: [53, 'InvalidIdField'],
  DuplicateKey: [11000, 'DuplicateKey'],
  InternalError: [1, 'InternalError']
} as const)
export type CodeName = keyof typeof Codes

export function commandError (name: CodeName, message: string, extra: Record<string, unknown> = {}): CommandError {
  const [code, codeName] = Codes[name]
  return new CommandError(code, codeName, message, extra)
}

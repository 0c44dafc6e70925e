// What the operator log records. Other domains may record their own actions (e.g. "export", "manual_sync").
export const OperatorAction = Object.freeze({
  Login: 'login',
  LoginFailed: 'login_failed',
  TokenIssued: 'token_issued',
  Logout: 'logout',
  LogoutEverywhere: 'logout_everywhere',
  View: 'view',
  Export: 'export',
  ManualSync: 'manual_sync',
  AdminCreated: 'admin_created',
  AdminPasswordReset: 'admin_password_reset',
  AdminDisabled: 'admin_disabled',
  AdminEnabled: 'admin_enabled',
  AdminChangeRefused: 'admin_change_refused'
} as const)
export type OperatorAction = typeof OperatorAction[keyof typeof OperatorAction]

export const Outcome = Object.freeze({ Success: 'success', Failure: 'failure' } as const)
export type Outcome = typeof Outcome[keyof typeof Outcome]

/** Action names are free-form for other domains but kept to a tame alphabet (they are shown and filtered on). */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]{0,39}$/

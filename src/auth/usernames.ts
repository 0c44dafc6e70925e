// Operator usernames: a small safe alphabet (no "@", so no email addresses end up as usernames), matched case-insensitively.
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/

export function usernameProblem (username: string): string | null {
  if (!USERNAME_PATTERN.test(username)) {
    return 'use 2-64 letters, digits, ".", "_" or "-", starting with a letter or digit'
  }
  return null
}

/** The uniqueness key: "Alice" and "alice" are the same operator. */
export function usernameKey (username: string): string {
  return username.trim().toLowerCase()
}

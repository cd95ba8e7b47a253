/** Password sign-in, sign-out and the password change (SPEC §5 `auth`). */
import { api, call } from './api/client'
import { clearSession, session, setSession, setUser, type User } from './session'

export async function login(username: string, password: string): Promise<User> {
  const t = await call(api.POST('/auth/login', { body: { username, password } }))
  setSession(t.token, t.user, t.expires_in)
  return t.user
}

/** Ends the session on the server (best effort) and forgets it here. */
export async function logout(): Promise<void> {
  try {
    if (session.token) await call(api.POST('/auth/logout'))
  } catch {
    // an expired or revoked token is signed out already
  } finally {
    clearSession()
  }
}

/**
 * Changes the password. The server then ends every session of the user
 * (SPEC §5), this one included, so the caller signs in again.
 */
export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  await call(api.POST('/auth/password', { body: { old_password: oldPassword, new_password: newPassword } }))
  clearSession()
}

/** The signed-in user as the server sees it now (refreshes the stored copy). */
export async function refreshMe(): Promise<User> {
  const u = await call(api.GET('/me'))
  setUser(u)
  return u
}

/**
 * The local half of the password rule (SPEC §5): at least 10 characters with
 * three of lower case, upper case, digits, symbols. The server checks again.
 */
export function passwordProblem(pw: string): string | null {
  if (pw.length < 10) return '密码至少 10 位'
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length
  if (classes < 3) return '密码需含大写字母、小写字母、数字、符号中的至少三种'
  return null
}

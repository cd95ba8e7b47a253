/**
 * The signed-in session: the bearer token and the user it belongs to.
 *
 * Kept in memory and in `sessionStorage` (so a reload of the tab keeps the
 * user signed in, and closing the tab ends it) — never in `localStorage`,
 * which outlives the tab and is shared by every tab of the origin.
 */
import { reactive, readonly } from 'vue'
import type { components } from './api/schema'

export type User = components['schemas']['User']
export type Role = components['schemas']['Role']

export const SESSION_KEY = 'yaojian.session'

interface Stored {
  token: string
  user: User
  /** When the server's `expires_in` runs out (ms since epoch); informational. */
  expiresAt: number
}

const state = reactive<{ token: string | null; user: User | null; expiresAt: number }>({
  token: null,
  user: null,
  expiresAt: 0,
})

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    return null // storage disabled: memory only
  }
}

/** Reads the session of this tab back (after a reload). */
export function loadSession(): void {
  const raw = storage()?.getItem(SESSION_KEY)
  if (!raw) return
  try {
    const s = JSON.parse(raw) as Stored
    if (typeof s.token === 'string' && s.user && typeof s.user.id === 'string') {
      state.token = s.token
      state.user = s.user
      state.expiresAt = s.expiresAt || 0
    }
  } catch {
    storage()?.removeItem(SESSION_KEY)
  }
}

export function setSession(token: string, user: User, expiresInSecs: number): void {
  state.token = token
  state.user = user
  state.expiresAt = Date.now() + expiresInSecs * 1000
  persist()
}

/** Updates the user (e.g. after the forced password change clears `must_change_password`). */
export function setUser(user: User): void {
  state.user = user
  persist()
}

export function clearSession(): void {
  state.token = null
  state.user = null
  state.expiresAt = 0
  storage()?.removeItem(SESSION_KEY)
}

function persist(): void {
  if (!state.token || !state.user) return
  const s: Stored = { token: state.token, user: state.user, expiresAt: state.expiresAt }
  try {
    storage()?.setItem(SESSION_KEY, JSON.stringify(s))
  } catch {
    // quota or private mode: the session still lives in memory
  }
}

export const session = readonly(state)

export function token(): string | null {
  return state.token
}

export function hasRole(...roles: Role[]): boolean {
  return !!state.user && roles.includes(state.user.role)
}

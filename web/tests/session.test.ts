/**
 * The session (token and user) lives in memory and sessionStorage only: a
 * sign-in, a reload of the tab, a sign-out and a password change never touch
 * localStorage, which outlives the tab and is shared by all tabs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { changePassword, login, logout } from '@shared/auth'
import { SESSION_KEY, clearSession, loadSession, session, setSession, type User } from '@shared/session'
import { api, call } from '@shared/api/client'
import { json, mockFetch } from './fetch-mock'

const inspector: User = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', role: 'inspector', display_name: '李检查', username: 'li', district_code: '420102', must_change_password: false }

let touched: string[] = []
const realLocal = Object.getOwnPropertyDescriptor(window, 'localStorage')

beforeEach(() => {
  clearSession()
  touched = []
  // Any use of localStorage — reading it, writing it, even looking it up — is recorded.
  const trap = new Proxy(
    {},
    {
      get(_t, p) {
        touched.push(`get ${String(p)}`)
        return () => undefined
      },
      set(_t, p) {
        touched.push(`set ${String(p)}`)
        return true
      },
    },
  )
  Object.defineProperty(window, 'localStorage', {
    configurable: true,
    get() {
      touched.push('localStorage')
      return trap
    },
  })
})

afterEach(() => {
  if (realLocal) Object.defineProperty(window, 'localStorage', realLocal)
  else delete (window as { localStorage?: Storage }).localStorage
  vi.unstubAllGlobals()
})

describe('session store', () => {
  it('(the trap sees any use of localStorage)', () => {
    void window.localStorage.getItem('x')
    expect(touched).toEqual(['localStorage', 'get getItem'])
  })

  it('keeps the token in memory and sessionStorage, never localStorage', async () => {
    const { seen } = mockFetch({
      'POST /api/v1/auth/login': () => json({ token: 'tok-A', expires_in: 7200, user: inspector }),
      'GET /api/v1/me': () => json(inspector),
      'POST /api/v1/auth/logout': () => json({ ok: true }),
    })
    await login('li', 'Secret-pass-1')
    expect(session.token).toBe('tok-A')
    expect(JSON.parse(sessionStorage.getItem(SESSION_KEY)!)).toMatchObject({ token: 'tok-A', user: { id: inspector.id } })

    // A reload of the tab: memory is gone, sessionStorage brings the session back.
    clearSessionMemoryOnly()
    expect(session.token).toBeNull()
    loadSession()
    expect(session.token).toBe('tok-A')
    await call(api.GET('/me'))
    expect(seen.at(-1)!.headers.get('authorization')).toBe('Bearer tok-A')

    await logout()
    expect(session.token).toBeNull()
    expect(sessionStorage.getItem(SESSION_KEY)).toBeNull()
    expect(touched).toEqual([])
  })

  it('forgets the session after a password change (the server ends every session)', async () => {
    mockFetch({ 'POST /api/v1/auth/password': () => json({ ok: true }) })
    setSession('tok-B', { ...inspector, must_change_password: true }, 7200)
    await changePassword('Old-pass-123', 'New-pass-456!')
    expect(session.token).toBeNull()
    expect(sessionStorage.getItem(SESSION_KEY)).toBeNull()
    expect(touched).toEqual([])
  })

  it('ignores a damaged stored session', () => {
    sessionStorage.setItem(SESSION_KEY, '{not json')
    loadSession()
    expect(session.token).toBeNull()
    expect(sessionStorage.getItem(SESSION_KEY)).toBeNull()
    expect(touched).toEqual([])
  })
})

/** What a reload does to memory: the stored copy stays. */
function clearSessionMemoryOnly(): void {
  const stored = sessionStorage.getItem(SESSION_KEY)
  clearSession()
  if (stored) sessionStorage.setItem(SESSION_KEY, stored)
}

/**
 * WeChat sign-in: `wx.login` gives a code, the server answers a token for a
 * bound account or a single-use `bind_token` that an invite code turns into
 * one. Signing in again is how an expired token is refreshed.
 */
import { call, setRelogin } from './request'
import { NetworkError } from './api-error'
import type { User } from './contract'
import { clearSession, getToken, saveSession } from '../utils/session'

export type SignIn = { bound: true; user: User } | { bound: false; bindToken: string }

export function wxCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (r) => (r.code ? resolve(r.code) : reject(new NetworkError('wx.login: no code'))),
      fail: (e) => reject(new NetworkError(e.errMsg)),
    })
  })
}

export async function signIn(): Promise<SignIn> {
  const code = await wxCode()
  const r = await call({ method: 'post', path: '/auth/wechat/login', body: { code }, auth: false })
  if (r.bound && r.token && r.user) {
    saveSession(r.token, r.user)
    return { bound: true, user: r.user }
  }
  clearSession()
  return { bound: false, bindToken: r.bind_token || '' }
}

export async function bind(bindToken: string, inviteCode: string): Promise<User> {
  const r = await call({
    method: 'post',
    path: '/auth/wechat/bind',
    body: { bind_token: bindToken, invite_code: inviteCode.trim() },
    auth: false,
  })
  saveSession(r.token, r.user)
  return r.user
}

/** Revokes the token on the server when reachable; the local session ends either way. */
export async function logout(): Promise<void> {
  try {
    await call({ method: 'post', path: '/auth/logout', auth: false, headers: bearerOnly() })
  } catch {
    /* offline or already expired: nothing more to revoke */
  } finally {
    clearSession()
  }
}

export function me(): Promise<User> {
  return call({ method: 'get', path: '/me' })
}

// Logout must not trigger a silent re-login on 401, so it sends the header itself.
function bearerOnly(): Record<string, string> {
  const t = getToken()
  return t ? { Authorization: `Bearer ${t}` } : {}
}

setRelogin(async () => (await signIn()).bound)

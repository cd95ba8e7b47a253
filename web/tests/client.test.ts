/**
 * The API client against a fake `fetch` (the network is the only fake): the
 * bearer token, problem+json → ApiError, and a 401 mid-session handed to the
 * sign-in-again prompt, after which the very same request goes out again —
 * nothing the page holds is dropped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, NetworkError } from '@shared/api/api-error'
import { api, call, onPasswordChangeRequired, onSessionExpired } from '@shared/api/client'
import { login } from '@shared/auth'
import { clearSession, session, setSession, type User } from '@shared/session'
import { json, mockFetch, problem } from './fetch-mock'

const admin: User = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', role: 'city_admin', display_name: '市局管理员', username: 'admin', must_change_password: false }
const page = { items: [], total: 0, page: 1, page_size: 20 }

beforeEach(() => clearSession())
afterEach(() => vi.unstubAllGlobals())

describe('API client', () => {
  it('sends the bearer token on signed-in calls and none on sign-in', async () => {
    const { seen } = mockFetch({
      'POST /api/v1/auth/login': () => json({ token: 'tok-1', expires_in: 7200, user: admin }),
      'GET /api/v1/admin/users': () => json(page),
    })
    await login('admin', 'Secret-pass-1')
    await call(api.GET('/admin/users', { params: { query: { role: 'inspector', page: 2 } } }))
    expect(seen[0].headers.get('authorization')).toBeNull()
    expect(JSON.parse(seen[0].body)).toEqual({ username: 'admin', password: 'Secret-pass-1' })
    expect(seen[1].headers.get('authorization')).toBe('Bearer tok-1')
    expect(seen[1].search).toBe('?role=inspector&page=2')
  })

  it('turns a problem+json answer into an ApiError with code, title, field errors and Retry-After', async () => {
    mockFetch({
      'POST /api/v1/admin/users': () =>
        problem(422, 'VALIDATION_FAILED', '请求内容不符合要求', [{ field: 'username', code: 'USERNAME_INVALID', message: '用户名格式不对' }]),
      'POST /api/v1/auth/login': () => problem(429, 'LOGIN_LOCKED', '账号已锁定', undefined, { 'Retry-After': '840' }),
    })
    setSession('tok', admin, 7200)
    const err = await call(api.POST('/admin/users', { body: { name: '张三', role: 'city_admin', username: 'x' } })).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 422, code: 'VALIDATION_FAILED', title: '请求内容不符合要求' })
    expect(err.fields).toEqual([{ field: 'username', code: 'USERNAME_INVALID', message: '用户名格式不对' }])
    const locked = await login('admin', 'wrong').catch((e) => e)
    expect(locked).toMatchObject({ status: 429, code: 'LOGIN_LOCKED', retryAfter: 840 })
  })

  it('reports an answer that is not problem+json by its status', async () => {
    mockFetch({ 'GET /api/v1/me': () => new Response('<html>Bad Gateway</html>', { status: 502 }) })
    setSession('tok', admin, 7200)
    await expect(call(api.GET('/me'))).rejects.toMatchObject({ status: 502, code: 'HTTP_502' })
  })

  it('turns a failed connection into a NetworkError', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    setSession('tok', admin, 7200)
    await expect(call(api.GET('/me'))).rejects.toBeInstanceOf(NetworkError)
  })

  it('on a 401 mid-session asks to sign in again once, then sends the same requests again', async () => {
    const { seen } = mockFetch({
      'POST /api/v1/alerts/a1/resolve': [() => problem(401, 'UNAUTHORIZED', '登录已失效'), () => json({ id: 'a1', kind: 'MINOR_ATTEMPT', status: 'resolved', detail: {}, created_at: '2025-01-01T10:00:00+08:00' })],
      'GET /api/v1/admin/users': [() => problem(401, 'UNAUTHORIZED', '登录已失效'), () => json(page)],
      'POST /api/v1/auth/login': () => json({ token: 'tok-2', expires_in: 7200, user: admin }),
    })
    setSession('tok-1', admin, 7200)
    const prompt = vi.fn(async () => {
      // What the dialog does: sign in again with the same user.
      await login('admin', 'Secret-pass-1')
      return true
    })
    const off = onSessionExpired(prompt)
    try {
      const [resolved, users] = await Promise.all([
        call(api.POST('/alerts/{id}/resolve', { params: { path: { id: 'a1' } }, body: { note: '已电话核实' } })),
        call(api.GET('/admin/users')),
      ])
      expect(resolved.status).toBe('resolved')
      expect(users.total).toBe(0)
    } finally {
      off()
    }
    expect(prompt).toHaveBeenCalledTimes(1)
    const retried = seen.filter((s) => s.path === '/api/v1/alerts/a1/resolve')
    expect(retried.map((s) => s.headers.get('authorization'))).toEqual(['Bearer tok-1', 'Bearer tok-2'])
    // The form's body goes out again unchanged.
    expect(retried.map((s) => JSON.parse(s.body))).toEqual([{ note: '已电话核实' }, { note: '已电话核实' }])
    expect(session.token).toBe('tok-2')
  })

  it('when the user gives up, the caller gets the 401 and the session is not torn down', async () => {
    mockFetch({ 'GET /api/v1/me': () => problem(401, 'UNAUTHORIZED', '登录已失效') })
    setSession('tok-1', admin, 7200)
    const off = onSessionExpired(async () => false)
    try {
      await expect(call(api.GET('/me'))).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    } finally {
      off()
    }
    // The router guard would send the user to /login on a cleared session, losing the page.
    expect(session.token).toBe('tok-1')
    expect(session.user?.id).toBe(admin.id)
  })

  it('does not prompt on a wrong password at sign-in (401 LOGIN_FAILED)', async () => {
    mockFetch({ 'POST /api/v1/auth/login': () => problem(401, 'LOGIN_FAILED', '用户名或密码错误') })
    const prompt = vi.fn(async () => true)
    const off = onSessionExpired(prompt)
    try {
      await expect(login('admin', 'nope')).rejects.toMatchObject({ code: 'LOGIN_FAILED' })
    } finally {
      off()
    }
    expect(prompt).not.toHaveBeenCalled()
  })

  it('reports 403 PASSWORD_CHANGE_REQUIRED to the app', async () => {
    mockFetch({ 'GET /api/v1/admin/users': () => problem(403, 'PASSWORD_CHANGE_REQUIRED', '请先修改密码') })
    setSession('tok-1', { ...admin, must_change_password: true }, 7200)
    const handler = vi.fn()
    const off = onPasswordChangeRequired(handler)
    try {
      await expect(call(api.GET('/admin/users'))).rejects.toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' })
    } finally {
      off()
    }
    expect(handler).toHaveBeenCalledTimes(1)
  })
})

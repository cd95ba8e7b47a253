/** The sign-in page: lockout with its time, wrong password, the forced password change. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import LoginPage from '../console/pages/LoginPage.vue'
import { clearSession, session, type User } from '@shared/session'
import { ERROR_MESSAGES } from '@shared/errors'
import { json, mockFetch, problem } from './fetch-mock'
import { click, mountPage, typeInto } from './mount'

const admin: User = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', role: 'city_admin', display_name: '管理员', username: 'admin', must_change_password: false }

afterEach(() => {
  clearSession()
  vi.unstubAllGlobals()
})

async function signIn(user: string, pw: string): Promise<void> {
  await typeInto('login-username', user)
  await typeInto('login-password', pw)
  await click('login-submit')
}

const errorText = () => document.querySelector('[data-testid="login-error"]')?.textContent ?? ''

describe('login page', () => {
  it('says when a locked account opens again', async () => {
    mockFetch({ 'POST /api/v1/auth/login': () => problem(429, 'LOGIN_LOCKED', '账号已锁定', undefined, { 'Retry-After': '600' }) })
    const { wrapper } = await mountPage(LoginPage, '/login')
    await signIn('admin', 'whatever-1')
    expect(errorText()).toMatch(/账号已锁定，请 10 分钟后（\d\d:\d\d 以后）再试/)
    wrapper.unmount()
  })

  it('says the password is wrong, and clears it', async () => {
    mockFetch({ 'POST /api/v1/auth/login': () => problem(401, 'LOGIN_FAILED', '用户名或密码错误') })
    const { wrapper } = await mountPage(LoginPage, '/login')
    await signIn('admin', 'wrong-pass')
    expect(errorText()).toBe(ERROR_MESSAGES.LOGIN_FAILED)
    expect((document.querySelector('[data-testid="login-password"] input') as HTMLInputElement).value).toBe('')
    wrapper.unmount()
  })

  it('sends a user with an initial password to the change form, keeping where they were going', async () => {
    mockFetch({ 'POST /api/v1/auth/login': () => json({ token: 't', expires_in: 7200, user: { ...admin, must_change_password: true } }) })
    const { wrapper, router } = await mountPage(LoginPage, '/login?redirect=/audit')
    await signIn('admin', 'Initial-pass-1')
    // (the page module loads lazily)
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('password'), { timeout: 5000 })
    expect(router.currentRoute.value.query.redirect).toBe('/audit')
    wrapper.unmount()
  })

  it('goes to the page asked for after signing in', async () => {
    mockFetch({
      'POST /api/v1/auth/login': () => json({ token: 't', expires_in: 7200, user: admin }),
      'GET /api/v1/admin/audit': () => json({ items: [], total: 0, page: 1, page_size: 20 }),
    })
    const { wrapper, router } = await mountPage(LoginPage, '/login?redirect=/audit')
    await signIn('admin', 'Good-pass-12')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/audit'), { timeout: 5000 })
    expect(session.token).toBe('t')
    wrapper.unmount()
  })

  it('refuses roles that have no console (a clerk)', async () => {
    mockFetch({
      'POST /api/v1/auth/login': () => json({ token: 't', expires_in: 7200, user: { ...admin, role: 'clerk' } }),
      'POST /api/v1/auth/logout': () => json({ ok: true }),
    })
    const { wrapper, router } = await mountPage(LoginPage, '/login')
    await signIn('clerk1', 'Good-pass-12')
    expect(document.querySelector('[data-testid="login-denied"]')).not.toBeNull()
    expect(router.currentRoute.value.name).toBe('login')
    expect(session.token).toBeNull()
    wrapper.unmount()
  })
})

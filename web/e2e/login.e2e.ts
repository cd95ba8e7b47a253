/** Signing in: the demo admin reaches the console; five wrong passwords lock the account, and the page says so. */
import { describe, expect, it } from 'vitest'
import { useLiveServer, DEMO_PASSWORD } from './server'
import { field, signIn, useBrowser } from './browser'

const live = useLiveServer()
const browser = useBrowser()

describe('sign-in', () => {
  it('the city admin signs in, sees the whole menu, and signs out again', async () => {
    const { page } = browser.tab
    await signIn(page, live.server.origin, 'demo-admin', DEMO_PASSWORD)
    await expect.poll(() => page.getByTestId('current-user').textContent()).toContain('市局管理员')
    for (const entry of ['registrations', 'alerts', 'pharmacies', 'drugs', 'users', 'audit', 'sync']) {
      expect(await page.getByTestId(`menu-${entry}`).count(), entry).toBe(1)
    }
    // The token is in sessionStorage only.
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
    await page.getByTestId('logout').click()
    await page.getByTestId('login-form').waitFor()
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('token')
  })

  it('five wrong passwords lock the account, with the lockout message', async () => {
    const { page } = browser.tab
    browser.tab.expectStatus(401, 429)
    await page.goto(`${live.server.origin}/console/login`)
    await field(page, 'login-username').fill('demo-admin')
    for (let i = 1; i <= 6; i++) {
      await field(page, 'login-password').fill(`Wrong-Password-${i}`)
      await page.getByTestId('login-submit').click()
      await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(i < 6 ? /用户名或密码错误|锁定/ : /锁定/)
    }
    // Even the right password is refused while locked.
    await field(page, 'login-password').fill(DEMO_PASSWORD)
    await page.getByTestId('login-submit').click()
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/锁定/)
    expect(await page.getByTestId('current-user').count()).toBe(0)
  })
})

/**
 * Creating a user: the form sends an Idempotency-Key, shows USERNAME_TAKEN
 * beside the username, and shows the initial password the answer carries
 * once, in a dialog with a copy button and the warning that it will not be
 * shown again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import UsersPage from '../console/pages/UsersPage.vue'
import { clearSession, setSession, type User } from '@shared/session'
import { ERROR_MESSAGES } from '@shared/errors'
import { json, mockFetch, problem } from './fetch-mock'
import { click, formItemText, mountPage, settle, typeInto } from './mount'

const admin: User = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', role: 'city_admin', display_name: '管理员', username: 'admin', must_change_password: false }
const created = {
  id: '16fd2706-8baf-433b-82eb-8c7fada847da',
  role: 'city_admin',
  name: '王五',
  username: 'wangwu',
  status: 'active',
  bound: false,
  must_change_password: true,
  created_at: '2025-03-01T09:00:00+08:00',
  initial_password: 'Kq7-x2Pz-9mWd',
}

beforeEach(() => setSession('tok', admin, 7200))
afterEach(() => {
  clearSession()
  vi.unstubAllGlobals()
})

async function chooseRole(label: string): Promise<void> {
  const select = document.querySelector('[data-testid="user-form-role"]') as HTMLElement
  ;(select.querySelector('input') ?? select).click()
  await settle()
  const option = [...document.querySelectorAll('.t-select-option')].find((o) => o.textContent?.trim() === label) as HTMLElement
  if (!option) throw new Error(`no option ${label}`)
  option.click()
  await settle()
}

describe('users: create', () => {
  it('shows a taken username beside the field, then the initial password once', async () => {
    const { seen } = mockFetch({
      'GET /api/v1/admin/users': () => json({ items: [], total: 0, page: 1, page_size: 20 }),
      'POST /api/v1/admin/users': [() => problem(409, 'USERNAME_TAKEN', '用户名已被使用'), () => json(created, 201)],
    })
    const { wrapper } = await mountPage(UsersPage, '/users')
    expect(document.querySelector('[data-testid="users-table"]')?.textContent).toContain('没有符合条件的用户')

    await click('user-create-open')
    await typeInto('user-form-name', '王五')
    await chooseRole('市局管理员')
    await typeInto('user-form-username', 'wangwu')
    await click('user-create-submit')

    const posts = seen.filter((s) => s.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(JSON.parse(posts[0].body)).toEqual({ name: '王五', role: 'city_admin', username: 'wangwu' })
    const key1 = posts[0].headers.get('idempotency-key')
    expect(key1).toMatch(/^[0-9a-f-]{36}$/)
    expect(formItemText('user-form-username')).toContain(ERROR_MESSAGES.USERNAME_TAKEN)

    await typeInto('user-form-username', 'wangwu2')
    await click('user-create-submit')
    const again = seen.filter((s) => s.method === 'POST')
    expect(again).toHaveLength(2)
    // The first attempt was answered: the second is a new request with a new key.
    expect(again[1].headers.get('idempotency-key')).not.toBe(key1)

    expect(document.querySelector('[data-testid="secret-initial-password"]')?.textContent).toBe('Kq7-x2Pz-9mWd')
    expect(document.querySelector('[data-testid="secret-warning"]')?.textContent).toContain('不再显示')
    expect(document.querySelector('[data-testid="secret-copy-password"]')).not.toBeNull()
    wrapper.unmount()
  })
})

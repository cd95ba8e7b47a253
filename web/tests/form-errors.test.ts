/**
 * A form shows the server's field errors beside their fields: `errors[].field`
 * names the form item (ChangePasswordPage, UsersPage's create form), and a
 * refusal that names no field but concerns one (PASSWORD_MISMATCH) lands on
 * that field too. Client-side checks run first and send nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import ChangePasswordPage from '../console/pages/ChangePasswordPage.vue'
import { clearSession, setSession, type User } from '@shared/session'
import { ERROR_MESSAGES } from '@shared/errors'
import { mockFetch, problem } from './fetch-mock'
import { click, formItemText, mountPage, typeInto } from './mount'

const admin: User = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', role: 'city_admin', display_name: '管理员', username: 'admin', must_change_password: true }

beforeEach(() => setSession('tok', admin, 7200))
afterEach(() => {
  clearSession()
  vi.unstubAllGlobals()
})

async function fill(oldPw: string, newPw: string, confirm = newPw): Promise<void> {
  await typeInto('password-old', oldPw)
  await typeInto('password-new', newPw)
  await typeInto('password-confirm', confirm)
}

describe('field errors beside fields', () => {
  it('puts errors[].field from the server under that field', async () => {
    const { seen } = mockFetch({
      'POST /api/v1/auth/password': () =>
        problem(422, 'VALIDATION_FAILED', '填写有误', [
          { field: 'new_password', code: 'PASSWORD_TOO_WEAK', message: '密码过于常见，请换一个' },
        ]),
    })
    const { wrapper } = await mountPage(ChangePasswordPage, '/password')
    await fill('Old-pass-123', 'Abcdefgh12!')
    await click('password-submit')
    expect(seen).toHaveLength(1)
    expect(formItemText('password-new')).toContain('密码过于常见，请换一个')
    expect(formItemText('password-old')).not.toContain('密码过于常见')
    wrapper.unmount()
  })

  it('puts a field-less PASSWORD_MISMATCH under the old password', async () => {
    mockFetch({ 'POST /api/v1/auth/password': () => problem(422, 'PASSWORD_MISMATCH', '原密码不正确') })
    const { wrapper } = await mountPage(ChangePasswordPage, '/password')
    await fill('Wrong-pass-1', 'Abcdefgh12!')
    await click('password-submit')
    expect(formItemText('password-old')).toContain(ERROR_MESSAGES.PASSWORD_MISMATCH)
    expect(document.querySelector('[data-testid="password-error"]')).toBeNull()
    wrapper.unmount()
  })

  it('checks the password rule before sending anything', async () => {
    const { seen } = mockFetch({})
    const { wrapper } = await mountPage(ChangePasswordPage, '/password')
    await fill('Old-pass-123', 'short', 'short')
    await click('password-submit')
    expect(seen).toHaveLength(0)
    expect(formItemText('password-new')).toContain('至少 10 位')
    wrapper.unmount()
  })
})

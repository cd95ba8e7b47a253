/**
 * "Nothing lost when a session expires mid-form": a 401 on a signed-in call
 * opens the sign-in-again dialog over the page; the route and the form keep
 * their contents, and after signing in the call that failed goes out again
 * and the page carries on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import ReauthDialog from '../console/components/ReauthDialog.vue'
import AlertsPage from '../console/pages/AlertsPage.vue'
import { clearSession, session, setSession, type User } from '@shared/session'
import { json, mockFetch, problem } from './fetch-mock'
import { click, mountPage, settle, typeInto } from './mount'

const inspector: User = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', role: 'inspector', display_name: '李检查', username: 'li', district_code: '420102', must_change_password: false }
const alert = {
  id: '9b2e7c1a-5d4f-4e3b-8a7c-1f2e3d4c5b6a',
  kind: 'WINDOW_LIMIT',
  status: 'open',
  detail: { already: 4, requested: 2, limit: 5, days: 7 },
  district_code: '420102',
  pharmacy_id: 'c56a4180-65aa-42ec-a945-5fd21dec0538',
  pharmacy_name: '江汉大药房',
  created_at: '2025-03-01T09:00:00+08:00',
}

afterEach(() => {
  clearSession()
  vi.unstubAllGlobals()
})

/** The alerts page with the app's sign-in-again dialog beside it, as App.vue has them. */
const Harness = defineComponent({
  setup: () => () => [h(AlertsPage), h(ReauthDialog)],
})

describe('session expiry mid-form', () => {
  it('keeps the typed note, signs in again in a dialog and sends the same resolve again', async () => {
    const { seen } = mockFetch({
      'GET /api/v1/alerts': () => json({ items: [alert], total: 1, page: 1, page_size: 20 }),
      'POST /api/v1/alerts/9b2e7c1a-5d4f-4e3b-8a7c-1f2e3d4c5b6a/resolve': [
        () => problem(401, 'UNAUTHORIZED', '登录已失效'),
        () => json({ ...alert, status: 'resolved', resolution_note: '已约谈店长', resolved_at: '2025-03-01T10:00:00+08:00' }),
      ],
      'POST /api/v1/auth/login': () => json({ token: 'tok-2', expires_in: 7200, user: inspector }),
    })
    setSession('tok-1', inspector, 7200)
    const { wrapper, router } = await mountPage(Harness, '/alerts')
    expect(document.querySelector('[data-testid="alerts-table"]')?.textContent).toContain('江汉大药房')

    await click(`alert-resolve-${alert.id}`)
    await typeInto('alert-resolve-note', '已约谈店长')
    await click('alert-resolve-submit')

    // The dialog asks for the password of the same user; the page stays where it was.
    expect(document.querySelector('[data-testid="reauth-dialog"]')).not.toBeNull()
    const user = document.querySelector('[data-testid="reauth-username"] input') as HTMLInputElement
    expect(user.value).toBe('li')
    expect(router.currentRoute.value.fullPath).toBe('/alerts')
    const note = document.querySelector('[data-testid="alert-resolve-note"]') as HTMLTextAreaElement
    expect((note.matches('textarea') ? note : note.querySelector('textarea'))!.value).toBe('已约谈店长')

    await typeInto('reauth-password', 'Secret-pass-1')
    await click('reauth-submit')
    await settle()

    const resolves = seen.filter((s) => s.path.endsWith('/resolve'))
    expect(resolves.map((s) => s.headers.get('authorization'))).toEqual(['Bearer tok-1', 'Bearer tok-2'])
    expect(resolves.map((s) => JSON.parse(s.body).note)).toEqual(['已约谈店长', '已约谈店长'])
    expect(session.token).toBe('tok-2')
    expect(router.currentRoute.value.fullPath).toBe('/alerts')
    // Resolved: the list was reloaded.
    expect(seen.filter((s) => s.path === '/api/v1/alerts').length).toBe(2)
    wrapper.unmount()
  })
})

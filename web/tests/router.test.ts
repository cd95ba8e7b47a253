/** The console's route guards: sign-in first, the forced password change, pages by role. */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createConsoleRouter } from '../console/router'
import { menuFor } from '../console/menu'
import { clearSession, setSession, type User } from '@shared/session'

const inspector: User = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', role: 'inspector', display_name: '李检查', username: 'li', district_code: '420102', must_change_password: false }

afterEach(() => clearSession())

async function go(path: string) {
  const r = createConsoleRouter(createMemoryHistory('/console/'))
  await r.push(path).catch(() => undefined)
  return r.currentRoute.value
}
const land = async (path: string) => (await go(path)).fullPath

describe('console routes', () => {
  it('sends a visitor without a session to sign in, keeping the page asked for', async () => {
    const to = await go('/audit?stream=city')
    expect(to.name).toBe('login')
    expect(to.query.redirect).toBe('/audit?stream=city')
  })

  it('shows inspectors only registrations, alerts and pharmacies', async () => {
    expect(menuFor('inspector').map((m) => m.name)).toEqual(['registrations', 'alerts', 'pharmacies'])
    expect(menuFor('city_admin').map((m) => m.name)).toEqual(['registrations', 'alerts', 'pharmacies', 'drugs', 'users', 'audit', 'sync'])
    setSession('t', inspector, 7200)
    expect(await land('/users')).toBe('/registrations')
    expect(await land('/alerts')).toBe('/alerts')
    expect(await land('/')).toBe('/registrations')
  })

  it('holds a user with an initial password at the change form', async () => {
    setSession('t', { ...inspector, must_change_password: true }, 7200)
    expect(await land('/alerts')).toBe('/password?redirect=/alerts')
  })

  it('turns away roles that have no console', async () => {
    setSession('t', { ...inspector, role: 'pharmacy_manager' }, 7200)
    expect(await land('/registrations')).toBe('/login?denied=1')
  })
})

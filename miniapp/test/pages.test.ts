/** Home, records (date filter, detail) and staff pages. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { renderPage, tapEvent } from './simulate'
import { getToken, saveSession } from '../miniprogram/utils/session'
import { createRegistration } from '../miniprogram/api/registrations'
import { isoDate } from '../miniprogram/utils/dates'
import type { Role } from '../miniprogram/api/contract'
import '../miniprogram/api/auth'

let m: WxMock
function signedIn(role: Role = 'clerk') {
  saveSession(m.server.signIn(), { id: 'u1', role, display_name: '王店员', pharmacy_name: '仁和大药房', must_change_password: false })
}
beforeEach(() => {
  m = installWx()
})

describe('home page', () => {
  it('sends a signed-out user to login', () => {
    renderPage('home').instance.onShow()
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/login/index' }])
  })

  it('shows the staff button to managers only, and inspectors the district entries', () => {
    signedIn('pharmacy_manager')
    const home = renderPage('home')
    home.instance.onShow()
    expect(home.data).toMatchObject({ isPharmacy: true, isManager: true, isInspector: false, roleLabel: '店长' })
    expect(home.querySelector('#pharmacies')).toBeFalsy()
    signedIn('inspector')
    home.instance.onShow()
    expect(home.data).toMatchObject({ isPharmacy: false, isManager: false, isInspector: true })
    expect(home.querySelector('#register')).toBeFalsy()
    expect(home.querySelector('#pharmacies')).toBeTruthy()
    expect(home.querySelector('#alerts')).toBeTruthy()
    home.instance.goPharmacies()
    home.instance.goAlerts()
    expect(m.navigations.map((n) => n.url)).toEqual(['/pages/pharmacies/index', '/pages/alerts/index'])
  })

  it('logout asks first when sales are still pending, then clears the session', async () => {
    signedIn()
    m.wx.setStorageSync('yaojian.queue', [{ key: 'k', status: 'pending' }])
    const home = renderPage('home')
    home.instance.onShow()
    expect(home.data.pending).toBe(1)
    m.modalConfirm = false
    await home.instance.logout()
    expect(getToken()).not.toBe('')
    m.modalConfirm = true
    await home.instance.logout()
    expect(m.modals[0]).toMatch(/还有 1 笔登记未提交/)
    expect(getToken()).toBe('')
    expect(m.navigations.pop()).toEqual({ api: 'reLaunch', url: '/pages/login/index' })
  })
})

describe('records', () => {
  async function seed(n: number) {
    for (let i = 0; i < n; i++) {
      await createRegistration({ buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] }, `k${i}`)
    }
  }

  it('lists today by default, filters by range, pages on, and opens a detail', async () => {
    signedIn()
    await seed(25)
    const page = renderPage('records')
    page.instance.onLoad()
    await settle()
    const today = isoDate()
    expect(m.server.requests.pop()!.query).toMatchObject({ from: today, to: today, page: '1', page_size: '20' })
    expect(page.data.items).toHaveLength(20)
    expect(page.data.total).toBe(25)
    expect(page.data.items[0].drugs).toBe(`${DRUGS[0].name}×1`)

    await page.instance.more()
    expect(page.data.items).toHaveLength(25)

    page.instance.pickRange(tapEvent({ days: 6 }))
    await settle()
    const q = m.server.requests.pop()!.query
    expect(q.to).toBe(today)
    expect(q.from < today).toBe(true)

    page.instance.onFrom({ detail: { value: '2026-01-01' } })
    await settle()
    expect(m.server.requests.pop()!.query.from).toBe('2026-01-01')

    const id = page.data.items[0].id
    page.instance.open(tapEvent({ id }))
    expect(m.navigations.pop()!.url).toBe(`/pages/record/index?id=${id}`)
    const detail = renderPage('record')
    await detail.instance.onLoad({ id })
    expect(detail.data).toMatchObject({ source: '手工录入', gender: '女' })
    expect(detail.data.r.id).toBe(id)
  })

  it('shows the reason when the list cannot load', async () => {
    signedIn()
    m.fault = () => 'fail'
    const page = renderPage('records')
    page.instance.onLoad()
    await settle()
    expect(page.data.error).toMatch(/网络不通/)
  })
})

describe('staff page', () => {
  it('adds a clerk and shows the invite code once, re-invites, removes after confirmation', async () => {
    signedIn('pharmacy_manager')
    const page = renderPage('staff')
    await page.instance.load()
    expect(page.data.staff).toHaveLength(1)
    page.instance.onName({ detail: { value: '赵店员' } })
    await page.instance.add()
    expect(page.data.invite).toMatchObject({ name: '赵店员', code: expect.stringMatching(/^INV/) })
    expect(page.data.staff).toHaveLength(2)
    const clerk = page.data.staff[1]
    await page.instance.reinvite(tapEvent({ id: clerk.id }))
    expect(page.data.invite.code).toBe(`INV${clerk.id}`)
    await page.instance.remove(tapEvent({ id: clerk.id, name: clerk.display_name }))
    expect(page.data.staff).toHaveLength(1)
  })

  it('shows the table message when the server refuses', async () => {
    signedIn('pharmacy_manager')
    const page = renderPage('staff')
    await page.instance.remove(tapEvent({ id: 's0', name: '李店长' }))
    expect(m.modals.pop()).toMatch(/不能移除店长/)
  })
})

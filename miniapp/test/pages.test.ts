/** Home, records (date filter, detail) and staff pages, driven through their widgets. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { change, exists, prop, renderPage, tap, text, type, type Page } from './simulate'
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

async function home(): Promise<Page> {
  const page = renderPage('home')
  page.instance.onShow()
  await settle()
  return page
}

describe('home page', () => {
  it('sends a signed-out user to login', async () => {
    await home()
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/login/index' }])
  })

  it('a clerk gets 登记销售 and 登记记录; a manager also 店员管理; the buttons open their pages', async () => {
    signedIn('clerk')
    let page = await home()
    expect(text(page, '.section')).toMatch(/仁和大药房[\s\S]*王店员 · 店员/)
    expect(exists(page, '#staff')).toBe(false)
    expect(exists(page, '#pharmacies')).toBe(false)
    signedIn('pharmacy_manager')
    page = await home()
    for (const id of ['register', 'records', 'staff']) await tap(page, `#${id}`)
    expect(m.navigations.map((n) => n.url)).toEqual(['/pages/register/index', '/pages/records/index', '/pages/staff/index'])
  })

  it('an inspector gets the district entries only', async () => {
    signedIn('inspector')
    const page = await home()
    expect(exists(page, '#register')).toBe(false)
    await tap(page, '#pharmacies')
    await tap(page, '#alerts')
    expect(m.navigations.map((n) => n.url)).toEqual(['/pages/pharmacies/index', '/pages/alerts/index'])
  })

  it('counts what waits in both queues, sales and inspections', async () => {
    signedIn('inspector')
    m.fault = () => 'fail' // still offline when home shows
    m.wx.setStorageSync('yaojian.queue', [{
      key: 'k1', status: 'pending', attempts: 1, queuedAt: '2026-01-05T14:00:00+08:00', buyer: '张* 110105********002X', items: '药×1', lines: [],
      body: { buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] },
    }])
    m.wx.setStorageSync('yaojian.inspections', ['p1'])
    m.wx.setStorageSync('yaojian.inspection.p1', {
      pharmacyId: 'p1', pharmacyName: '仁和大药房', key: 'ik', result: 'compliant', findings: '', disposition: 'none', photos: [], pending: true,
    })
    const page = await home()
    expect(text(page, '#pending')).toBe('登记 1 笔待提交')
    expect(text(page, '#pending-inspections')).toBe('检查记录 1 条待提交')
    m.fault = () => undefined
    await tap(page, '#retry')
    expect(m.server.registrations).toHaveLength(1)
    expect(m.server.inspections).toHaveLength(1)
    expect(exists(page, '#outbox')).toBe(false)
    expect(m.toasts.pop()).toBe('已全部提交')
  })

  it('logout asks first when records are still waiting, then clears the session', async () => {
    signedIn()
    m.fault = () => 'fail'
    m.wx.setStorageSync('yaojian.queue', [{
      key: 'k1', status: 'pending', attempts: 1, queuedAt: '', buyer: '', items: '', lines: [],
      body: { buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] },
    }])
    const page = await home()
    m.modalConfirm = false
    await tap(page, '#logout')
    expect(m.modals.pop()).toMatch(/还有 1 条记录未提交，退出后需重新登录才能继续提交/)
    expect(getToken()).not.toBe('')
    m.modalConfirm = true
    await tap(page, '#logout')
    expect(getToken()).toBe('')
    expect(m.navigations.pop()).toEqual({ api: 'reLaunch', url: '/pages/login/index' })
  })
})

describe('records', () => {
  async function seed(n: number) {
    m.server.policy.window_limit = 1000 // one buyer many times: not what this test is about
    for (let i = 0; i < n; i++) {
      await createRegistration({ buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] }, `k${i}`)
    }
  }
  async function open(): Promise<Page> {
    const page = renderPage('records')
    page.instance.onLoad()
    await settle()
    return page
  }

  it('lists today by default, pages on, filters by range and by date, and opens a detail', async () => {
    signedIn()
    await seed(25)
    const page = await open()
    const today = isoDate()
    expect(m.server.requests.pop()!.query).toMatchObject({ from: today, to: today, page: '1', page_size: '20' })
    expect(prop(page, '#range-0', 'theme')).toBe('primary')
    expect(text(page, '#total')).toBe('共 25 笔')
    expect(page.querySelectorAll('.record')).toHaveLength(20)
    expect(text(page, '#record-0')).toMatch(new RegExp(`张\\* · 1 盒[\\s\\S]*${DRUGS[0].name}×1`))

    await tap(page, '#more')
    expect(page.querySelectorAll('.record')).toHaveLength(25)
    expect(exists(page, '#more')).toBe(false)

    await tap(page, '#range-6')
    const q = m.server.requests.pop()!.query
    expect(q.to).toBe(today)
    expect(q.from < today).toBe(true)
    expect(prop(page, '#range-6', 'theme')).toBe('primary')

    await change(page, '#from', '2026-01-01')
    expect(m.server.requests.pop()!.query).toMatchObject({ from: '2026-01-01', to: today })
    expect(text(page, '#from')).toBe('2026-01-01')
    expect(prop(page, '#range-6', 'theme')).toBe('default') // a chosen date is no preset range
    await change(page, '#to', '2026-01-31')
    expect(m.server.requests.pop()!.query).toMatchObject({ from: '2026-01-01', to: '2026-01-31' })

    const id = m.server.registrations[m.server.registrations.length - 1].id
    await tap(page, '#record-0')
    expect(m.navigations.pop()!.url).toBe(`/pages/record/index?id=${id}`)
    const detail = renderPage('record')
    detail.instance.onLoad({ id })
    await settle()
    expect(detail.dom!.textContent).toMatch(/张\*[\s\S]*110105\*{8}002X[\s\S]*女 · 40 岁 · 手工录入[\s\S]*手工录入，待核查/)
  })

  it('says so when a day has no registrations', async () => {
    signedIn()
    const page = await open()
    expect(text(page, '#empty')).toBe('该时间段没有登记，可选择其他日期')
  })

  it('shows the reason when the list cannot load', async () => {
    signedIn()
    m.fault = () => 'fail'
    const page = await open()
    expect(text(page, '#error')).toMatch(/网络不通，请检查网络后重试/)
  })
})

describe('staff page', () => {
  async function open(): Promise<Page> {
    signedIn('pharmacy_manager')
    const page = renderPage('staff')
    page.instance.onLoad()
    await settle()
    return page
  }
  const staffPosts = () => m.server.requests.filter((r) => r.method === 'POST' && r.path === '/pharmacy/staff')

  it('adds a clerk and shows the invite code once, copies it, re-invites, removes after confirmation', async () => {
    const page = await open()
    expect(page.querySelectorAll('.staff')).toHaveLength(1)
    expect(exists(page, '#remove-s0')).toBe(false) // the manager cannot be removed
    await tap(page, '#add')
    expect(staffPosts()).toHaveLength(0) // disabled without a name

    await type(page, '#name', '赵店员')
    await type(page, '#phone', '13800000000')
    await tap(page, '#add')
    expect(staffPosts()[0].body).toMatchObject({ display_name: '赵店员' })
    const clerk = m.server.staff[1]
    expect(text(page, '#invite')).toMatch(/请把邀请码交给 赵店员（72 小时内有效，只显示这一次）/)
    expect(text(page, '#invite-code')).toBe(`INV${clerk.id}`)
    expect(page.querySelectorAll('.staff')).toHaveLength(2)
    expect(text(page, `#staff-${clerk.id}`)).toMatch(/赵店员[\s\S]*店员[\s\S]*未绑定/)
    expect(prop(page, '#name', 'value')).toBe('') // ready for the next one
    await tap(page, '#copy-invite')
    expect(m.clipboard).toBe(`INV${clerk.id}`)

    await tap(page, `#reinvite-${clerk.id}`)
    expect(text(page, '#invite-code')).toBe(`INV${clerk.id}`)
    expect(m.server.requests.pop()!.path).toBe(`/pharmacy/staff/${clerk.id}/invite`)

    m.modalConfirm = false
    await tap(page, `#remove-${clerk.id}`)
    expect(m.modals.pop()).toMatch(/移除 赵店员？其登录将立即失效/)
    expect(page.querySelectorAll('.staff')).toHaveLength(2)
    m.modalConfirm = true
    await tap(page, `#remove-${clerk.id}`)
    expect(page.querySelectorAll('.staff')).toHaveLength(1)
    expect(m.toasts.pop()).toBe('已移除')
  })

  it('shows the table message when the server refuses', async () => {
    m.server.staff.push({ id: 's7', role: 'clerk', display_name: '钱店员', bound: true, created_at: '2026-01-02T09:00:00+08:00' })
    const page = await open()
    m.server.staff = m.server.staff.filter((s) => s.id !== 's7') // removed by someone else meanwhile
    await tap(page, '#remove-s7')
    expect(m.modals.pop()).toMatch(/店员不存在，请刷新列表/)
  })
})

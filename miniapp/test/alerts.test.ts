/** Alerts: the list with status/kind/pharmacy filters, and resolve with a required note. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, type WxMock } from './wx-mock'
import { renderPage, tapEvent, text } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import '../miniprogram/api/auth'

let m: WxMock
beforeEach(() => {
  m = installWx()
  saveSession(m.server.signIn(), { id: 'u9', role: 'inspector', display_name: '周检查', district_code: '420102', must_change_password: false })
})

const resolves = () => m.server.requests.filter((r) => r.method === 'POST' && /resolve$/.test(r.path))

describe('alerts', () => {
  it('lists open alerts, filters by kind, pharmacy and status', async () => {
    const page = renderPage('alerts')
    await page.instance.onLoad()
    expect(m.server.requests.pop()!.query).toMatchObject({ status: 'open', page: '1' })
    expect(page.data.items.map((a: any) => a.kind)).toEqual(['累计超量', '未成年人购买'])
    expect(page.data.items[1]).toMatchObject({ pharmacy: '同济堂药店', detail: '年龄 16', open: true })

    await page.instance.pickKind(tapEvent({ value: 'MINOR_ATTEMPT' }))
    expect(m.server.requests.pop()!.query).toMatchObject({ status: 'open', kind: 'MINOR_ATTEMPT' })
    expect(page.data.items.map((a: any) => a.id)).toEqual(['a2'])
    await page.instance.pickKind(tapEvent({ value: '' }))
    expect(m.server.requests.pop()!.query.kind).toBeUndefined()

    await page.instance.pickStatus(tapEvent({ value: 'resolved' }))
    expect(page.data.items).toHaveLength(0)
    expect(page.querySelector('.section.muted')).toBeTruthy()

    const one = renderPage('alerts')
    await one.instance.onLoad({ pharmacy: 'p1' })
    expect(m.server.requests.pop()!.query).toMatchObject({ pharmacy_id: 'p1' })
    expect(one.data.items.map((a: any) => a.id)).toEqual(['a1'])
    one.instance.openPharmacy(tapEvent({ id: 'p1' }))
    expect(m.navigations.pop()!.url).toBe('/pages/pharmacy/index?id=p1')
  })

  it('resolving needs a note: an empty one is explained and not sent; with one it is resolved', async () => {
    const page = renderPage('alerts')
    await page.instance.onLoad()
    page.instance.startResolve(tapEvent({ id: 'a1' }))
    expect(page.data.resolving.id).toBe('a1')

    page.instance.onNote({ detail: { value: '   ' } })
    await page.instance.resolve()
    expect(text(page, '#note-error')).toMatch(/请填写处理说明/)
    expect(resolves()).toHaveLength(0)

    page.instance.onNote({ detail: { value: '已约谈店长，核实为家庭常备' } })
    expect(page.data.noteError).toBe('')
    await page.instance.resolve()
    expect(resolves()[0]).toMatchObject({ path: '/alerts/a1/resolve', body: { note: '已约谈店长，核实为家庭常备' } })
    expect(page.data.resolving).toBeNull()
    expect(m.toasts.pop()).toBe('已处理')
    expect(page.data.items.map((a: any) => a.id)).toEqual(['a2']) // reloaded: a1 no longer open

    await page.instance.pickStatus(tapEvent({ value: 'resolved' }))
    expect(page.data.items[0]).toMatchObject({ id: 'a1', open: false, note: '已约谈店长，核实为家庭常备' })
  })

  it('the server\'s note error and an already-resolved alert are shown with the table messages', async () => {
    const page = renderPage('alerts')
    await page.instance.onLoad()
    page.instance.startResolve(tapEvent({ id: 'a2' }))
    page.setData({ note: 'x' })
    m.server.alerts[1].status = 'resolved' // a colleague was faster
    await page.instance.resolve()
    expect(m.modals.pop()).toMatch(/该预警已被处理/)
    expect(page.data.resolving).toBeNull()
    expect(page.data.items.map((a: any) => a.id)).toEqual(['a1'])

    const { resolveAlert } = require('../miniprogram/api/alerts')
    await expect(resolveAlert('a1', '  ')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field: 'note' }] })
  })
})

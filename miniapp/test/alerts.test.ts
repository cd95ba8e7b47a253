/** Alerts, driven through the widgets: the list with status/kind/pharmacy filters, and resolve with a required note. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { exists, prop, renderPage, tap, text, type, type Page } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import '../miniprogram/api/auth'

let m: WxMock
beforeEach(() => {
  m = installWx()
  saveSession(m.server.signIn(), { id: 'u9', role: 'inspector', display_name: '周检查', district_code: '420102', must_change_password: false })
})

const resolves = () => m.server.requests.filter((r) => r.method === 'POST' && /resolve$/.test(r.path))
const shown = (page: Page) => page.querySelectorAll('.alert').map((n) => n._exparserNode.id)

async function open(query?: Record<string, string>): Promise<Page> {
  const page = renderPage('alerts')
  page.instance.onLoad(query)
  await settle()
  return page
}

describe('alerts', () => {
  it('lists open alerts, filters by kind, status and pharmacy', async () => {
    const page = await open()
    expect(m.server.requests.pop()!.query).toMatchObject({ status: 'open', page: '1' })
    expect(text(page, '#total')).toBe('共 2 条')
    expect(text(page, '#alert-a1')).toMatch(/累计超量[\s\S]*仁和大药房 ›[\s\S]*此前已购 4 · 本次 2 · 上限 5 · 天数 7[\s\S]*处理/)
    expect(text(page, '#alert-a2')).toMatch(/未成年人购买[\s\S]*同济堂药店 ›[\s\S]*年龄 16/)

    await tap(page, '#kind-MINOR_ATTEMPT')
    expect(m.server.requests.pop()!.query).toMatchObject({ status: 'open', kind: 'MINOR_ATTEMPT' })
    expect(shown(page)).toEqual(['alert-a2'])
    expect(prop(page, '#kind-MINOR_ATTEMPT', 'variant')).toBe('dark')
    await tap(page, '#kind-all')
    expect(m.server.requests.pop()!.query.kind).toBeUndefined()
    expect(shown(page)).toEqual(['alert-a1', 'alert-a2'])

    await tap(page, '#status-resolved')
    expect(m.server.requests.pop()!.query.status).toBe('resolved')
    expect(shown(page)).toEqual([])
    expect(text(page, '#empty')).toBe('没有已处理的预警')
    await tap(page, '#status-open')

    await tap(page, '#alert-pharmacy-a2')
    expect(m.navigations.pop()!.url).toBe('/pages/pharmacy/index?id=p2')
  })

  it("one pharmacy's alerts, and back to the whole district", async () => {
    const page = await open({ pharmacy: 'p1' })
    expect(m.server.requests.pop()!.query).toMatchObject({ pharmacy_id: 'p1' })
    expect(shown(page)).toEqual(['alert-a1'])
    await tap(page, '#all-pharmacies')
    expect(m.server.requests.pop()!.query.pharmacy_id).toBeUndefined()
    expect(shown(page)).toEqual(['alert-a1', 'alert-a2'])
    expect(exists(page, '#all-pharmacies')).toBe(false)
  })

  it('resolving needs a note: an empty one is explained and not sent; with one it is resolved', async () => {
    const page = await open()
    await tap(page, '#resolve-a1')
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(true)
    expect(text(page, '#sheet')).toMatch(/处理预警：累计超量[\s\S]*仁和大药房/)

    await type(page, '#note', '   ')
    await tap(page, '#confirm-resolve')
    expect(text(page, '#note-error')).toMatch(/请填写处理说明（如：已约谈店长、已核实为正常购药）/)
    expect(resolves()).toHaveLength(0)

    await type(page, '#note', '已约谈店长，核实为家庭常备')
    expect(exists(page, '#note-error')).toBe(false) // typing clears it
    await tap(page, '#confirm-resolve')
    expect(resolves()[0]).toMatchObject({ path: '/alerts/a1/resolve', body: { note: '已约谈店长，核实为家庭常备' } })
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(false)
    expect(m.toasts.pop()).toBe('已处理')
    expect(shown(page)).toEqual(['alert-a2']) // reloaded: a1 no longer open

    await tap(page, '#status-resolved')
    expect(text(page, '#alert-a1')).toMatch(/已处理 01-05 16:00：已约谈店长，核实为家庭常备/)
    expect(exists(page, '#resolve-a1')).toBe(false)
  })

  it('取消 and a tap outside the sheet close it without sending', async () => {
    const page = await open()
    await tap(page, '#resolve-a1')
    await type(page, '#note', '草稿')
    await tap(page, '#cancel-resolve')
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(false)
    await tap(page, '#resolve-a2')
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(true)
    expect(prop(page, '#note', 'value')).toBe('') // a fresh note for another alert
    await tap(page, '#resolve-sheet', '[class*="t-overlay"]')
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(false)
    expect(resolves()).toHaveLength(0)
  })

  it('an alert a colleague resolved meanwhile is explained with the table message and the list refreshed', async () => {
    const page = await open()
    await tap(page, '#resolve-a2')
    await type(page, '#note', '已核实')
    m.server.alerts[1].status = 'resolved' // a colleague was faster
    await tap(page, '#confirm-resolve')
    expect(m.modals.pop()).toMatch(/该预警已被处理，请刷新列表/)
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(false)
    expect(shown(page)).toEqual(['alert-a1'])
  })

  it("the server's own note error is shown under the note", async () => {
    const page = await open()
    await tap(page, '#resolve-a1')
    await type(page, '#note', '已处理')
    const handle = m.server.handle.bind(m.server)
    m.server.handle = (req) =>
      /resolve$/.test(req.path)
        ? { status: 400, body: { code: 'VALIDATION_FAILED', title: '', status: 400, errors: [{ field: 'note', code: 'TOO_LONG', message: '处理说明最多 1000 字' }] } }
        : handle(req)
    await tap(page, '#confirm-resolve')
    expect(text(page, '#note-error')).toBe('处理说明最多 1000 字')
    expect(prop(page, '#resolve-sheet', 'visible')).toBe(true)
  })
})

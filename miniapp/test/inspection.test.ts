/**
 * District side: pharmacy search, detail (with authenticated thumbnails), the
 * pharmacy's registrations by date, and the inspection form — rules explained
 * before submit, photos uploaded then named by key, and a submit lost to the
 * network retried with the SAME Idempotency-Key creating one inspection.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { renderPage, tapEvent, text } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import { createRegistration } from '../miniprogram/api/registrations'
import { daysAgo, isoDate } from '../miniprogram/utils/dates'
import '../miniprogram/api/auth'

let m: WxMock
beforeEach(() => {
  m = installWx()
  saveSession(m.server.signIn(), { id: 'u9', role: 'inspector', display_name: '周检查', district_code: '420102', must_change_password: false })
})

const posts = (path: RegExp) => m.server.requests.filter((r) => r.method === 'POST' && path.test(r.path))

describe('pharmacy search', () => {
  it('lists the district on open, searches by name, licence number or address, and opens a pharmacy', async () => {
    const page = renderPage('pharmacies')
    page.instance.onLoad()
    await settle()
    expect(page.data.total).toBe(2)
    expect(page.data.items[0]).toMatchObject({ name: '仁和大药房', counts: '近30天 登记 12 · 拒绝 2', inspected: '未检查过' })
    expect(page.data.items[1].inspected).toBe('上次检查 01-02 10:00')

    for (const q of ['同济', '鄂CA0270002', '中山大道']) {
      page.instance.onInput({ detail: { value: q } })
      await page.instance.search()
      expect(m.server.requests.pop()!.query).toMatchObject({ q, page: '1' })
      expect(page.data.items.map((p: any) => p.id)).toEqual(['p2'])
    }
    page.instance.onInput({ detail: { value: '不存在' } })
    await page.instance.search()
    expect(page.data.items).toHaveLength(0)
    expect(page.querySelector('.pharmacy')).toBeFalsy()
    await page.instance.clear()
    expect(page.data.total).toBe(2)

    page.instance.open(tapEvent({ id: 'p1' }))
    expect(m.navigations.pop()!.url).toBe('/pages/pharmacy/index?id=p1')
  })

  it('shows the table message when the search fails', async () => {
    m.fault = () => 'fail'
    const page = renderPage('pharmacies')
    await page.instance.search()
    expect(text(page, '#error')).toMatch(/网络不通/)
  })
})

describe('pharmacy detail', () => {
  it('shows registrations (masked), refused attempts, open alerts and past inspections with thumbnails fetched with the token', async () => {
    // A clerk's sale at p1 and a past inspection with a photo.
    await createRegistration({ buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 2 }] }, 'k1')
    const { uploadPhoto, createInspection } = require('../miniprogram/api/inspection')
    const photo = await uploadPhoto('wxfile://old.jpg')
    await createInspection('p1', { result: 'issues_found', findings: '登记不全', disposition: 'rectify', photo_keys: [photo.key] }, 'old')

    const page = renderPage('pharmacy')
    await page.instance.onLoad({ id: 'p1' })
    expect(page.data.p.name).toBe('仁和大药房')
    expect(page.data.registrations[0]).toMatchObject({ buyer: '张* 110105********002X', drugs: `${DRUGS[0].name}×2` })
    expect(JSON.stringify(page.data)).not.toContain('11010519491231002X')
    expect(page.data.refused[0]).toMatchObject({ reason: '未成年人购买', detail: '年龄 16' })
    expect(page.data.alerts[0]).toMatchObject({ kind: '累计超量', detail: '此前已购 4 · 本次 2 · 上限 5 · 天数 7' })
    expect(page.data.inspections[0]).toMatchObject({ title: expect.stringContaining('发现问题 · 责令整改'), findings: '登记不全' })

    // The thumbnail URL needs the bearer token: downloaded, then the temp file shown.
    const token = m.wx.getStorageSync('yaojian.token')
    expect(m.downloads[0]).toEqual({ url: `http://127.0.0.1:8080${photo.thumbnail_url}`, header: { Authorization: `Bearer ${token}` } })
    expect(page.data.inspections[0].thumbs[0].src).toMatch(/^wxfile:\/\/tmp\//)

    page.instance.inspect()
    expect(m.navigations.pop()!.url).toBe(`/pages/inspect/index?id=p1&name=${encodeURIComponent('仁和大药房')}`)
    page.instance.openAlerts()
    expect(m.navigations.pop()!.url).toBe('/pages/alerts/index?pharmacy=p1')
    page.instance.records()
    expect(m.navigations.pop()!.url).toBe(`/pages/records/index?pharmacy=p1&name=${encodeURIComponent('仁和大药房')}`)
  })

  it('lists the pharmacy\'s registrations by date range through the inspection endpoint', async () => {
    await createRegistration({ buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] }, 'k1')
    const page = renderPage('records')
    page.instance.onLoad({ pharmacy: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    const req = m.server.requests.pop()!
    expect(req.path).toBe('/inspection/pharmacies/p1/registrations')
    expect(req.query).toMatchObject({ from: daysAgo(29), to: isoDate(), page: '1' })
    expect(page.data.items).toHaveLength(1)
    page.instance.onFrom({ detail: { value: '2026-01-01' } })
    await settle()
    expect(m.server.requests.pop()!).toMatchObject({ path: '/inspection/pharmacies/p1/registrations', query: { from: '2026-01-01' } })
  })

  it('a pharmacy outside the district shows the table message', async () => {
    const page = renderPage('pharmacy')
    await page.instance.onLoad({ id: 'elsewhere' })
    expect(text(page, '#error')).toMatch(/不在您的辖区/)
  })
})

describe('inspection form', () => {
  async function openForm() {
    const page = renderPage('inspect')
    page.instance.onLoad({ id: 'p1', name: encodeURIComponent('仁和大药房') })
    return page
  }

  it('explains the compliant/disposition rule and the findings rule before submit', async () => {
    const page = await openForm()
    expect(page.data.key).toMatch(/^[0-9a-f-]{36}$/)
    expect(page.data.check.problems).toContain('请选择检查结论')

    page.instance.pickResult(tapEvent({ value: 'compliant' }))
    expect(page.data.disposition).toBe('none') // chosen for the inspector
    expect(page.data.check.notes[0]).toMatch(/合格.*只能为“无需处置”/)
    expect(page.data.check.dispositions.filter((d: any) => !d.disabled).map((d: any) => d.value)).toEqual(['none'])
    page.instance.pickDisposition(tapEvent({ value: 'warning' }))
    expect(page.data.disposition).toBe('none')
    expect(m.toasts.pop()).toMatch(/合格时处置只能为“无需处置”/)

    page.instance.pickResult(tapEvent({ value: 'issues_found' }))
    expect(page.data.disposition).toBe('') // chosen on purpose
    expect(page.data.check.problems).toEqual(['发现问题时须填写检查发现', '请选择处置方式'])
    await page.instance.submit()
    expect(m.modals.pop()).toMatch(/须填写检查发现/)
    expect(posts(/inspections$/)).toHaveLength(0) // nothing sent while the rules say no

    page.instance.onFindings({ detail: { value: '登记不全' } })
    page.instance.pickDisposition(tapEvent({ value: 'rectify' }))
    expect(page.data.check.problems).toEqual([])
  })

  it('uploads photos as they are taken, then creates the inspection with their keys', async () => {
    const page = await openForm()
    m.photo = { path: 'wxfile://shelf.jpg', size: 2_000_000 }
    await page.instance.addPhoto()
    m.photo = { path: 'wxfile://big.jpg', size: 12 * 1024 * 1024 } // over 10 MiB: compressed first
    await page.instance.addPhoto()
    const uploads = posts(/^\/inspection\/photos$/)
    expect(uploads.map((u) => u.body.image)).toEqual(['wxfile://shelf.jpg', 'wxfile://big.jpg.small.jpg'])
    expect(page.data.photos.map((p: any) => p.status)).toEqual(['done', 'done'])
    const keys = page.data.photos.map((p: any) => p.key)

    page.instance.pickResult(tapEvent({ value: 'issues_found' }))
    page.instance.onFindings({ detail: { value: '  柜台未张贴限购告示  ' } })
    page.instance.pickDisposition(tapEvent({ value: 'warning' }))
    await page.instance.submit()

    const [create] = posts(/inspections$/)
    expect(create.path).toBe('/inspection/pharmacies/p1/inspections')
    expect(create.headers['Idempotency-Key']).toBe(page.data.key)
    expect(create.body).toMatchObject({ result: 'issues_found', findings: '柜台未张贴限购告示', disposition: 'warning', photo_keys: keys })
    expect(create.body.inspected_at).toMatch(/\+08:00$/)
    expect(m.server.inspections).toHaveLength(1)
    expect(m.server.inspections[0].photos.map((p) => p.key)).toEqual(keys)
    expect(m.toasts.pop()).toBe('检查记录已提交')
    expect(m.navigations.pop()!.api).toBe('navigateBack')
    expect(m.wx.getStorageSync('yaojian.inspection.p1')).toBe('') // draft cleared
  })

  it('a submit lost after the server recorded it is retried with the SAME key and records one inspection', async () => {
    const page = await openForm()
    await page.instance.addPhoto()
    page.instance.pickResult(tapEvent({ value: 'compliant' }))
    const key = page.data.key

    m.fault = (r) => (/inspections$/.test(r.path) ? 'timeout-after' : undefined)
    await page.instance.submit()
    expect(m.server.inspections).toHaveLength(1) // the server did act
    expect(page.data.sent).toBeTruthy() // the form is locked with the body sent
    expect(text(page, '#unsent')).toMatch(/网络超时.*重新提交.*不会重复记录/)
    expect(m.navigations).toHaveLength(0)

    // Edits are refused while the first answer is unknown (a changed body would not replay).
    page.instance.pickResult(tapEvent({ value: 'issues_found' }))
    expect(page.data.result).toBe('compliant')

    // The app is closed and opened again: the draft and its key survive.
    const reopened = await openForm()
    expect(reopened.data.key).toBe(key)
    expect(reopened.data.sent).toBeTruthy()

    m.fault = () => undefined
    await reopened.instance.submit()
    const creates = posts(/inspections$/)
    expect(creates.map((r) => r.headers['Idempotency-Key'])).toEqual([key, key])
    expect(creates[1].body).toEqual(creates[0].body)
    expect(m.server.inspections).toHaveLength(1) // replayed, not created twice
    expect(m.toasts.pop()).toBe('检查记录已提交')
    expect(m.wx.getStorageSync('yaojian.inspection.p1')).toBe('')
  })

  it('no connection at all: nothing recorded, the retry creates it with the kept key', async () => {
    const page = await openForm()
    page.instance.pickResult(tapEvent({ value: 'compliant' }))
    const key = page.data.key
    m.fault = () => 'fail'
    await page.instance.submit()
    expect(m.server.inspections).toHaveLength(0)
    expect(text(page, '#unsent')).toMatch(/网络不通/)
    m.fault = () => undefined
    await page.instance.submit()
    expect(m.server.inspections).toHaveLength(1)
    expect(posts(/inspections$/).every((r) => r.headers['Idempotency-Key'] === key)).toBe(true)
  })

  it('a photo that failed to upload is uploaded again at submit before the inspection', async () => {
    const page = await openForm()
    m.fault = (r) => (r.path === '/inspection/photos' ? 'fail' : undefined)
    await page.instance.addPhoto()
    expect(page.data.photos[0]).toMatchObject({ status: 'failed', network: true })
    page.instance.pickResult(tapEvent({ value: 'compliant' }))
    await page.instance.submit()
    expect(text(page, '#unsent')).toMatch(/照片未能上传/)
    expect(posts(/inspections$/)).toHaveLength(0)

    m.fault = () => undefined
    await page.instance.submit()
    const [create] = posts(/inspections$/)
    expect(create.body.photo_keys).toEqual([page.data.photos[0].key])
    expect(m.server.inspections).toHaveLength(1)
  })

  it('a refusal is shown with the table message, unlocks the form and takes a new key', async () => {
    const page = await openForm()
    page.instance.pickResult(tapEvent({ value: 'compliant' }))
    // A stale rule on the phone: force a body the server refuses.
    page.setData({ disposition: 'warning' })
    page.instance.recheck()
    page.setData({ check: { ...page.data.check, problems: [] } })
    const key = page.data.key
    await page.instance.submit()
    expect(m.modals.pop()).toMatch(/处理结果与检查结论不一致/)
    expect(page.data.fieldErrors.disposition).toBeTruthy()
    expect(page.data.sent).toBeNull()
    expect(page.data.key).not.toBe(key)
  })
})

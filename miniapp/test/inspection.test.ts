/**
 * District side, driven through the widgets: pharmacy search, detail (with
 * authenticated thumbnails), the pharmacy's registrations by date, and the
 * inspection form — rules explained before submit, photos uploaded then named
 * by key, and a submit lost to the network sent again (by the inspector or
 * automatically) with the SAME Idempotency-Key, creating one inspection.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { attr, change, clearSearch, confirm, exists, prop, renderPage, tap, text, type, type Page } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import { createRegistration } from '../miniprogram/api/registrations'
import { daysAgo, isoDate } from '../miniprogram/utils/dates'
import { startAutoRetry, stopAutoRetry } from '../miniprogram/utils/outbox'
import '../miniprogram/api/auth'

let m: WxMock
afterEach(() => stopAutoRetry())
beforeEach(() => {
  m = installWx()
  saveSession(m.server.signIn(), { id: 'u9', role: 'inspector', display_name: '周检查', district_code: '420102', must_change_password: false })
})

const posts = (path: RegExp) => m.server.requests.filter((r) => r.method === 'POST' && path.test(r.path))
const ids = (page: Page, sel: string) => page.querySelectorAll(sel).map((n) => n._exparserNode.id)

describe('pharmacy search', () => {
  it('lists the district on open, searches by name, licence number or address, and opens a pharmacy', async () => {
    const page = renderPage('pharmacies')
    page.instance.onLoad()
    await settle()
    expect(text(page, '#total')).toBe('共 2 家')
    expect(text(page, '#pharmacy-p1')).toMatch(/仁和大药房[\s\S]*预警 1[\s\S]*近30天 登记 12 · 拒绝 2[\s\S]*未检查过/)
    expect(text(page, '#pharmacy-p2')).toMatch(/上次检查 01-02 10:00[\s\S]*停业/)

    // Typed then the keyboard's 搜索, or typed then the big button.
    await type(page, '#q', '同济')
    await confirm(page, '#q', '同济')
    expect(m.server.requests.pop()!.query).toMatchObject({ q: '同济', page: '1' })
    expect(ids(page, '.pharmacy')).toEqual(['pharmacy-p2'])
    for (const q of ['鄂CA0270002', '中山大道']) {
      await type(page, '#q', q)
      await tap(page, '#search')
      expect(m.server.requests.pop()!.query).toMatchObject({ q, page: '1' })
      expect(ids(page, '.pharmacy')).toEqual(['pharmacy-p2'])
    }
    await type(page, '#q', '不存在')
    await tap(page, '#search')
    expect(exists(page, '.pharmacy')).toBe(false)
    expect(text(page, '.section.muted')).toBe('没有找到药店，请换个关键词')
    await clearSearch(page, '#q')
    expect(m.server.requests.pop()!.query.q).toBeUndefined()
    expect(ids(page, '.pharmacy')).toEqual(['pharmacy-p1', 'pharmacy-p2'])

    await tap(page, '#pharmacy-p1')
    expect(m.navigations.pop()!.url).toBe('/pages/pharmacy/index?id=p1')
  })

  it('shows the table message when the search fails', async () => {
    m.fault = () => 'fail'
    const page = renderPage('pharmacies')
    await tap(page, '#search')
    expect(text(page, '#error')).toMatch(/网络不通，请检查网络后重试/)
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
    page.instance.onLoad({ id: 'p1' })
    await settle()
    expect(text(page, '#summary')).toMatch(/仁和大药房[\s\S]*许可证 鄂CA0270001/)
    expect(text(page, '#registration-0')).toMatch(/张\* 110105\*{8}002X[\s\S]*复方盐酸伪麻黄碱缓释胶囊×2/)
    expect(page.dom!.textContent).not.toContain('11010519491231002X')
    expect(text(page, '#refused')).toMatch(/未成年人购买[\s\S]*年龄 16/)
    expect(text(page, '#alerts')).toMatch(/累计超量[\s\S]*此前已购 4 · 本次 2 · 上限 5 · 天数 7/)
    expect(text(page, '#inspection-0')).toMatch(/发现问题 · 责令整改[\s\S]*周检查：登记不全/)

    // The thumbnail URL needs the bearer token: downloaded, then the temp file shown.
    const token = m.wx.getStorageSync('yaojian.token')
    expect(m.downloads[0]).toEqual({ url: `http://127.0.0.1:8080${photo.thumbnail_url}`, header: { Authorization: `Bearer ${token}` } })
    expect(attr(page, '#thumb-0-0', 'src')).toMatch(/^wxfile:\/\/tmp\//)
    await tap(page, '#thumb-0-0') // the full photo, also with the token
    expect(m.downloads[1].url).toBe(`http://127.0.0.1:8080${photo.url}`)

    await tap(page, '#registration-0')
    expect(m.navigations.pop()!.url).toBe(`/pages/record/index?id=${m.server.registrations[0].id}`)
    await tap(page, '#inspect')
    expect(m.navigations.pop()!.url).toBe(`/pages/inspect/index?id=p1&name=${encodeURIComponent('仁和大药房')}`)
    await tap(page, '#open-alerts')
    expect(m.navigations.pop()!.url).toBe('/pages/alerts/index?pharmacy=p1')
    await tap(page, '#records')
    expect(m.navigations.pop()!.url).toBe(`/pages/records/index?pharmacy=p1&name=${encodeURIComponent('仁和大药房')}`)
  })

  it("lists the pharmacy's registrations by date range through the inspection endpoint", async () => {
    await createRegistration({ buyer: { name: '张三', id_number: '11010519491231002X' }, items: [{ barcode: DRUGS[0].barcode, quantity: 1 }] }, 'k1')
    const page = renderPage('records')
    page.instance.onLoad({ pharmacy: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    const req = m.server.requests.pop()!
    expect(req.path).toBe('/inspection/pharmacies/p1/registrations')
    expect(req.query).toMatchObject({ from: daysAgo(29), to: isoDate(), page: '1' })
    expect(text(page, '#total')).toBe('仁和大药房 · 共 1 笔')
    await change(page, '#from', '2026-01-01')
    expect(m.server.requests.pop()!).toMatchObject({ path: '/inspection/pharmacies/p1/registrations', query: { from: '2026-01-01' } })
  })

  it('a pharmacy outside the district shows the table message', async () => {
    const page = renderPage('pharmacy')
    page.instance.onLoad({ id: 'elsewhere' })
    await settle()
    expect(text(page, '#error')).toMatch(/药店不存在或不在您的辖区/)
  })
})

describe('inspection form', () => {
  async function openForm(): Promise<Page> {
    const page = renderPage('inspect')
    page.instance.onLoad({ id: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    return page
  }
  const disabled = (page: Page, sel: string) => prop(page, sel, 'disabled')

  it('explains the compliant/disposition rule and the findings rule before submit', async () => {
    const page = await openForm()
    expect(page.data.key).toMatch(/^[0-9a-f-]{36}$/)
    expect(text(page, '#problems')).toMatch(/请选择检查结论/)
    expect(disabled(page, '#submit')).toBe(true)

    await tap(page, '#result-compliant')
    expect(prop(page, '#disposition-none', 'theme')).toBe('primary') // chosen for the inspector
    expect(text(page, '.section')).toMatch(/合格.*只能为“无需处置”/)
    expect(prop(page, '#disposition-warning', 'variant')).toBe('dashed')
    await tap(page, '#disposition-warning')
    expect(prop(page, '#disposition-warning', 'theme')).toBe('default')
    expect(m.toasts.pop()).toMatch(/合格时处置只能为“无需处置”/)
    expect(disabled(page, '#submit')).toBe(false)

    await tap(page, '#result-issues_found')
    expect(prop(page, '#disposition-none', 'theme')).toBe('default') // chosen on purpose
    expect(text(page, '#problems')).toBe('· 发现问题时须填写检查发现· 请选择处置方式')
    await tap(page, '#submit')
    expect(posts(/inspections$/)).toHaveLength(0) // nothing sent while the rules say no

    await type(page, '#findings', '登记不全')
    await tap(page, '#disposition-rectify')
    expect(exists(page, '#problems')).toBe(false)
    expect(disabled(page, '#submit')).toBe(false)
  })

  it('uploads photos as they are taken, then creates the inspection with their keys', async () => {
    const page = await openForm()
    m.photo = { path: 'wxfile://shelf.jpg', size: 2_000_000 }
    await tap(page, '#add-photo')
    m.photo = { path: 'wxfile://big.jpg', size: 12 * 1024 * 1024 } // over 10 MiB: compressed first
    await tap(page, '#add-photo')
    const uploads = posts(/^\/inspection\/photos$/)
    expect(uploads.map((u) => u.body.image)).toEqual(['wxfile://shelf.jpg', 'wxfile://big.jpg.small.jpg'])
    expect(page.querySelectorAll('.photo')).toHaveLength(2)
    expect(exists(page, '.photo-retry')).toBe(false)
    const keys = [...m.server.photos.keys()]

    await tap(page, '#result-issues_found')
    await type(page, '#findings', '  柜台未张贴限购告示  ')
    await tap(page, '#disposition-warning')
    await tap(page, '#submit')

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

  it('a photo can be removed before submit and is then not named', async () => {
    const page = await openForm()
    await tap(page, '#add-photo')
    await tap(page, '.photo-remove')
    expect(exists(page, '.photo')).toBe(false)
    await tap(page, '#result-compliant')
    await tap(page, '#submit')
    expect(posts(/inspections$/)[0].body.photo_keys).toEqual([])
  })

  it('a submit lost after the server recorded it is sent again with the SAME key and records one inspection', async () => {
    const page = await openForm()
    await tap(page, '#add-photo')
    await tap(page, '#result-compliant')
    const key = page.data.key

    m.fault = (r) => (/inspections$/.test(r.path) ? 'timeout-after' : undefined)
    await tap(page, '#submit')
    expect(m.server.inspections).toHaveLength(1) // the server did act
    expect(text(page, '#unsent')).toBe('网络超时，未收到服务器回复：检查记录已保存，网络恢复后自动重新提交（不会重复记录）；也可稍后点“立即重新提交”')
    expect(text(page, '#submit')).toBe('立即重新提交')
    expect(m.navigations).toHaveLength(0)

    // The form is locked while the first answer is unknown (a changed body would not replay).
    await tap(page, '#result-issues_found')
    expect(prop(page, '#result-compliant', 'theme')).toBe('success')
    expect(m.toasts.pop()).toMatch(/内容已锁定/)
    expect(disabled(page, '#add-photo')).toBe(true)
    expect(disabled(page, '#findings')).toBe(true)

    // The app is closed and opened again: the draft and its key survive.
    const reopened = await openForm()
    expect(reopened.data.key).toBe(key)
    expect(text(reopened, '#unsent')).toMatch(/网络超时/)

    m.fault = () => undefined
    await tap(reopened, '#submit')
    const creates = posts(/inspections$/)
    expect(creates.map((r) => r.headers['Idempotency-Key'])).toEqual([key, key])
    expect(creates[1].body).toEqual(creates[0].body)
    expect(m.server.inspections).toHaveLength(1) // replayed, not created twice
    expect(m.toasts.pop()).toBe('检查记录已提交')
    expect(m.wx.getStorageSync('yaojian.inspection.p1')).toBe('')
  })

  it('a photo that failed to upload is uploaded again at submit before the inspection', async () => {
    const page = await openForm()
    m.fault = (r) => (r.path === '/inspection/photos' ? 'fail' : undefined)
    await tap(page, '#add-photo')
    expect(text(page, '.photo-retry')).toBe('上传失败，点此重试')
    await tap(page, '#result-compliant')
    await tap(page, '#submit')
    expect(text(page, '#unsent')).toMatch(/^网络不通，照片未能上传：检查记录已保存，网络恢复后自动提交；也可稍后点“立即重新提交”\s*修改内容$/)
    expect(posts(/inspections$/)).toHaveLength(0)

    m.fault = () => undefined
    await tap(page, '#submit')
    const [create] = posts(/inspections$/)
    expect(create.body.photo_keys).toEqual([...m.server.photos.keys()])
    expect(m.server.inspections).toHaveLength(1)
  })

  it('a submitted draft whose photo did not upload can be taken back for changes with 修改内容', async () => {
    const page = await openForm()
    m.fault = (r) => (r.path === '/inspection/photos' ? 'fail' : undefined)
    await tap(page, '#add-photo')
    await tap(page, '#result-compliant')
    await tap(page, '#submit')
    await tap(page, '#edit')
    expect(exists(page, '#unsent')).toBe(false)
    await tap(page, '.photo-remove') // unlocked again
    expect(exists(page, '.photo')).toBe(false)
    m.fault = () => undefined
    await tap(page, '#submit')
    expect(posts(/inspections$/)[0].body.photo_keys).toEqual([])
  })

  it('a refusal is shown with the table message, unlocks the form and takes a new key', async () => {
    const page = await openForm()
    await tap(page, '#result-compliant')
    // A server stricter than the phone's rules: it refuses this compliant inspection.
    const handle = m.server.handle.bind(m.server)
    m.server.handle = (req) =>
      /inspections$/.test(req.path)
        ? { status: 422, body: { code: 'DISPOSITION_INCONSISTENT', title: '', status: 422, errors: [{ field: 'disposition', code: 'DISPOSITION_INCONSISTENT', message: '合格时处置应为 none' }] } }
        : handle(req)
    const key = page.data.key
    await tap(page, '#submit')
    expect(m.modals.pop()).toMatch(/处理结果与检查结论不一致，请检查后重填/)
    expect(text(page, '#disposition-error')).toBe('合格时处置应为 none')
    expect(text(page, '#unsent')).toMatch(/未能提交：处理结果与检查结论不一致/)
    expect(page.data.key).not.toBe(key)
    expect(text(page, '#submit')).toBe('提交检查记录') // unlocked: correct and submit again
  })
})

describe('inspection drafts send themselves', () => {
  async function submittedOffline(fault: 'fail' | 'timeout-after' = 'fail', photos = 1): Promise<Page> {
    const page = renderPage('inspect')
    page.instance.onLoad({ id: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    for (let i = 0; i < photos; i++) {
      m.photo = { path: `wxfile://p${i}.jpg`, size: 100_000 }
      await tap(page, '#add-photo')
    }
    await tap(page, '#result-compliant')
    m.fault = (r) => (/inspections$/.test(r.path) ? fault : undefined)
    await tap(page, '#submit')
    return page
  }
  const online = async () => {
    m.fault = () => undefined
    m.networkHandlers.forEach((h) => h({ isConnected: true, networkType: 'wifi' }))
    await settle()
  }

  it('when the network returns: same key, same photo keys, one inspection; the open form closes and home no longer counts it', async () => {
    startAutoRetry()
    const form = await submittedOffline('timeout-after')
    const key = form.data.key
    let tried = 0
    m.fault = (r) => (/inspections$/.test(r.path) && tried++, 'fail') // home shows while still offline
    const home = renderPage('home')
    home.instance.onShow()
    await settle()
    expect(tried).toBe(1) // tried once when home showed; still offline
    expect(text(home, '#pending-inspections')).toBe('检查记录 1 条待提交')
    expect(exists(home, '#pending')).toBe(false) // no sales waiting

    await online()
    const creates = posts(/inspections$/) // the requests that reached the server
    expect(creates.map((r) => r.headers['Idempotency-Key'])).toEqual([key, key])
    expect(creates[1].body).toEqual(creates[0].body)
    expect(creates[0].body.photo_keys).toHaveLength(1)
    expect(posts(/^\/inspection\/photos$/)).toHaveLength(1) // the uploaded photo was not sent again
    expect(m.server.inspections).toHaveLength(1)
    expect(m.toasts).toContain('检查记录已提交')
    expect(m.navigations.pop()).toEqual({ api: 'navigateBack', url: '' }) // the open form closed itself
    expect(exists(home, '#outbox')).toBe(false)
  })

  it('a photo taken offline is uploaded when the network returns, then the inspection names it with the one already uploaded', async () => {
    startAutoRetry()
    const page = renderPage('inspect')
    page.instance.onLoad({ id: 'p1', name: '' })
    await settle()
    m.photo = { path: 'wxfile://online.jpg', size: 100_000 }
    await tap(page, '#add-photo')
    m.fault = () => 'fail'
    m.photo = { path: 'wxfile://offline.jpg', size: 100_000 }
    await tap(page, '#add-photo')
    await tap(page, '#result-compliant')
    await tap(page, '#submit')
    expect(text(page, '#unsent')).toMatch(/照片未能上传/)

    await online()
    const uploads = posts(/^\/inspection\/photos$/)
    expect(uploads.map((u) => u.body.image)).toEqual(['wxfile://online.jpg', 'wxfile://offline.jpg']) // each reached the server once
    expect(m.server.inspections).toHaveLength(1)
    expect(m.server.inspections[0].photos.map((p) => p.key)).toEqual([...m.server.photos.keys()])
  })

  it('a photo file gone from the phone (WeChat restarted) is not retried forever: the inspector is told to retake it', async () => {
    startAutoRetry()
    const page = renderPage('inspect')
    page.instance.onLoad({ id: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    m.fault = () => 'fail'
    m.photo = { path: 'wxfile://tmp/shelf.jpg', size: 100_000 }
    await tap(page, '#add-photo')
    await tap(page, '#result-compliant')
    await tap(page, '#submit')
    m.missingFiles.add('wxfile://tmp/shelf.jpg') // the temporary file did not survive
    await online()
    expect(text(page, '#unsent')).toBe('未能提交：照片未能上传：照片文件已不在手机上，请删除该照片后重新拍照；处理后请重新提交')
    expect(text(page, '.photo-retry')).toBe('照片文件已不在手机上，请删除该照片后重新拍照')
    let tried = 0
    const upload = m.wx.uploadFile
    m.wx.uploadFile = (o: unknown) => (tried++, upload(o))
    await online()
    expect(tried).toBe(0) // not retried on its own
    await tap(page, '.photo-remove')
    await tap(page, '#submit')
    expect(m.server.inspections).toHaveLength(1)
    expect(m.server.inspections[0].photos).toEqual([])
  })

  it('coming back to the form sends it at once', async () => {
    const form = await submittedOffline('fail')
    m.fault = () => undefined
    form.instance.onShow()
    await settle()
    expect(m.server.inspections).toHaveLength(1)
    expect(m.navigations.pop()!.api).toBe('navigateBack')
  })

  it('a refusal on an automatic retry stays on home with its message, is not retried, and opens for correction', async () => {
    startAutoRetry()
    await submittedOffline('fail')
    m.server.pharmacies = m.server.pharmacies.filter((p) => p.id !== 'p1') // no longer in this district
    await online()
    const reached = posts(/inspections$/).length

    const home = renderPage('home')
    home.instance.onShow()
    await settle()
    expect(text(home, '#attention')).toMatch(/仁和大药房 · 检查记录未能提交\s*药店不存在或不在您的辖区\s*去修改\s*放弃/)
    expect(exists(home, '#pending-inspections')).toBe(false)
    await online()
    expect(posts(/inspections$/)).toHaveLength(reached) // never retried

    await tap(home, '#fix-inspection-0')
    expect(m.navigations.pop()!.url).toBe(`/pages/inspect/index?id=p1&name=${encodeURIComponent('仁和大药房')}`)
    const form = renderPage('inspect')
    form.instance.onLoad({ id: 'p1', name: encodeURIComponent('仁和大药房') })
    await settle()
    expect(text(form, '#unsent')).toBe('未能提交：药店不存在或不在您的辖区')
    expect(text(form, '#submit')).toBe('提交检查记录')
    expect(prop(form, '#result-compliant', 'theme')).toBe('success') // the content is kept

    await tap(home, '#discard-inspection-0')
    expect(m.modals.pop()).toMatch(/放弃 仁和大药房 的这条检查记录/)
    expect(exists(home, '#attention')).toBe(false)
    expect(m.wx.getStorageSync('yaojian.inspection.p1')).toBe('')
  })
})

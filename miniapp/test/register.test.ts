/** The register page: each way to identify the buyer, drugs, rules, submit, queue. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { renderPage, tapEvent, text, type Page } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import { loadQueue, pendingCount } from '../miniprogram/utils/queue'
import { setCardReader } from '../miniprogram/utils/card-reader'
import '../miniprogram/api/auth'

let m: WxMock
let page: Page
const [EPHEDRINE, CODEINE, LIQUORICE] = DRUGS

beforeEach(() => {
  m = installWx()
  saveSession(m.server.signIn())
  page = renderPage('register')
  page.instance.onLoad({})
})
afterEach(() => page.detach())

const sent = () => m.server.requests.filter((r) => r.path === '/registrations')

async function scanIdCard() {
  await page.instance.pickMethod(tapEvent({ method: 'id_card' }))
}

async function addDrug(barcode: string, times = 1) {
  for (let i = 0; i < times; i++) {
    m.scanResults.push(barcode)
    await page.instance.scanDrug()
  }
}

describe('register page', () => {
  it('ID card photo → masked identity shown → drug scanned → registered with its Idempotency-Key', async () => {
    const key = page.data.key
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    await scanIdCard()
    expect(m.server.requests.map((r) => r.path)).toContain('/scan/id-card')
    expect(text(page, '#buyer')).toMatch(/张\*/)
    expect(text(page, '#buyer')).toMatch(/110105\*{8}002X/)
    await addDrug(EPHEDRINE.barcode)
    page.instance.onBatch({ ...tapEvent({ index: 0 }), detail: { value: 'B2301' } })
    expect(page.data.canSubmit).toBe(true)
    await page.instance.submit()
    expect(m.server.registrations).toHaveLength(1)
    const [req] = sent()
    expect(req.headers['Idempotency-Key']).toBe(key)
    expect(req.body).toMatchObject({ scan_token: expect.stringMatching(/^scan-/), items: [{ barcode: EPHEDRINE.barcode, quantity: 1, batch_no: 'B2301' }] })
    expect(m.toasts).toContain('登记成功')
    expect(page.data.key).not.toBe(key) // the next sale gets its own key
    expect(page.data.buyer).toBeNull()
  })

  it('social-security card photo goes to /scan/ss-card, a large photo compressed first', async () => {
    m.photo = { path: 'wxfile://big.jpg', size: 6 * 1024 * 1024 }
    await page.instance.pickMethod(tapEvent({ method: 'ss_card' }))
    const scan = m.server.requests.find((r) => r.path === '/scan/ss-card')!
    expect(scan.body).toEqual({ image: 'wxfile://big.jpg.small.jpg' })
    expect(page.data.buyer.sourceLabel).toBe('社保卡')
  })

  it('card reader fields are posted as JSON card_reader', async () => {
    setCardReader({ read: async () => ({ kind: 'id_card', fields: { name: '张三', id_number: '11010519491231002X' } }) })
    await page.instance.pickMethod(tapEvent({ method: 'reader' }))
    const scan = m.server.requests.find((r) => r.path === '/scan/id-card')!
    expect(scan.body).toEqual({ card_reader: { name: '张三', id_number: '11010519491231002X' } })
    expect(page.data.buyer.name_masked).toBe('张*')
  })

  it('without a card reader says to photograph or type instead', async () => {
    setCardReader({ read: () => Promise.reject(new (require('../miniprogram/utils/card-reader').NoReaderError)()) })
    await page.instance.pickMethod(tapEvent({ method: 'reader' }))
    expect(m.modals[0]).toMatch(/拍照识别或手工录入/)
    expect(page.data.buyer).toBeNull()
  })

  it('manual entry checks the ID number at the counter and sends the typed buyer', async () => {
    await page.instance.pickMethod(tapEvent({ method: 'manual' }))
    page.instance.onManualName({ detail: { value: '张三' } })
    page.instance.onManualId({ detail: { value: '110105194912310021' } })
    page.instance.confirmManual()
    expect(page.data.manualError).toMatch(/校验位/)
    page.instance.onManualId({ detail: { value: '11010519491231002x' } })
    page.instance.confirmManual()
    expect(page.data.buyer).toMatchObject({ name_masked: '张*', id_masked: '110105********002X', sourceLabel: '手工录入' })
    await addDrug(EPHEDRINE.barcode)
    await page.instance.submit()
    expect(sent()[0].body.buyer).toEqual({ name: '张三', id_number: '11010519491231002X' })
    expect(m.server.registrations[0].needs_review).toBe(true)
  })

  it('explains the per-sale cap and the prescription rule before submit', async () => {
    await scanIdCard()
    await addDrug(EPHEDRINE.barcode, 3) // the same box scanned three times
    expect(page.data.lines).toHaveLength(1)
    expect(page.data.lines[0].quantity).toBe(3)
    expect(page.data.canSubmit).toBe(false)
    expect(page.data.rule.problems.join()).toMatch(/无处方每次最多 2 盒，现为 3 盒/)
    page.instance.onPrescription({ detail: { value: 'RX-001' } })
    expect(page.data.canSubmit).toBe(true)
    expect(page.data.rule.notes.join()).toMatch(/凭处方销售/)

    page.instance.onPrescription({ detail: { value: '' } })
    page.instance.removeLine(tapEvent({ index: 0 }))
    await addDrug(CODEINE.barcode)
    expect(page.data.rule.problems.join()).toMatch(/处方药，须录入处方号/)
    page.instance.removeLine(tapEvent({ index: 0 }))
    await addDrug(LIQUORICE.barcode, 2) // this product's own cap is 1
    expect(page.data.rule.problems.join()).toMatch(/最多 1 盒/)
    await page.instance.submit()
    expect(sent()).toHaveLength(0)
  })

  it('a network failure queues the sale, shows the pending count, and the page starts a new sale', async () => {
    await scanIdCard()
    await addDrug(EPHEDRINE.barcode)
    const key = page.data.key
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    await page.instance.submit()
    expect(pendingCount()).toBe(1)
    expect(loadQueue()[0].key).toBe(key)
    expect(m.modals[0]).toMatch(/已保存（待提交 1 笔）/)
    expect(page.data.pending).toBe(1)
    expect(text(page, '#pending')).toMatch(/待提交 1 笔/)
    expect(page.data.lines).toEqual([])
  })

  it('a refusal is shown with the table message, not queued, and the corrected sale gets a new key', async () => {
    await scanIdCard()
    await addDrug(EPHEDRINE.barcode)
    const key = page.data.key
    m.server.refuseWith = 'MINOR_NOT_ALLOWED'
    await page.instance.submit()
    expect(m.modals[0]).toMatch(/未满 18 周岁/)
    expect(loadQueue()).toEqual([])
    expect(page.data.key).not.toBe(key)
    expect(page.data.lines).toHaveLength(1) // kept for the clerk
  })

  it('an expired scan at submit clears the buyer so the clerk scans again', async () => {
    await scanIdCard()
    await addDrug(EPHEDRINE.barcode)
    m.server.scanTokens.clear()
    await page.instance.submit()
    expect(m.modals[0]).toMatch(/重新扫描证件/)
    expect(page.data.buyer).toBeNull()
    await scanIdCard()
    await page.instance.submit()
    expect(m.server.registrations).toHaveLength(1)
  })
})

describe('re-scan of a queued sale', () => {
  it('home lists it as 需重新扫描证件; re-scanning registers it and clears the entry', async () => {
    await scanIdCard()
    await addDrug(EPHEDRINE.barcode, 2)
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    await page.instance.submit()
    m.fault = () => undefined
    m.server.scanTokens.clear()
    const { flushQueue } = require('../miniprogram/utils/queue')
    await flushQueue()
    const old = loadQueue()[0]

    saveSession(m.server.signIn(), { id: 'u1', role: 'clerk', display_name: '王店员', must_change_password: false })
    const home = renderPage('home')
    home.instance.onShow()
    expect(home.data.isPharmacy).toBe(true)
    expect(home.data.attention).toHaveLength(1)
    expect(home.data.attention[0].message).toBe('需重新扫描证件')
    home.instance.rescan(tapEvent({ key: old.key }))
    expect(m.navigations.pop()!.url).toBe(`/pages/register/index?rescan=${old.key}`)

    const redo = renderPage('register')
    redo.instance.onLoad({ rescan: old.key })
    expect(redo.data.lines).toEqual(old.lines) // drugs kept: only the card again
    expect(redo.data.key).not.toBe(old.key)
    await redo.instance.pickMethod(tapEvent({ method: 'id_card' }))
    await redo.instance.submit()
    expect(m.server.registrations).toHaveLength(1)
    expect(m.server.registrations[0].total_packages).toBe(2)
    expect(loadQueue()).toEqual([])
    home.instance.showQueue()
    expect(home.data.attention).toHaveLength(0)
    await settle()
  })
})

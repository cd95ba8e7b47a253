/**
 * The register page, driven through its widgets: each way to identify the
 * buyer, drugs by barcode, the city's rules and the buyer's remaining
 * allowance explained before submit, submit, the offline queue.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { exists, prop, renderPage, step, tap, text, texts, type, type Page } from './simulate'
import { saveSession } from '../miniprogram/utils/session'
import { loadQueue, pendingCount } from '../miniprogram/utils/queue'
import { CardReaderError, NoReaderError, setCardReader } from '../miniprogram/utils/card-reader'
import '../miniprogram/api/auth'

let m: WxMock
let page: Page
const [EPHEDRINE, CODEINE, LIQUORICE] = DRUGS

async function open(query: Record<string, string> = {}): Promise<Page> {
  const p = renderPage('register')
  p.instance.onLoad(query)
  await settle()
  return p
}

beforeEach(async () => {
  m = installWx()
  saveSession(m.server.signIn(), { id: 'u1', role: 'clerk', display_name: '王店员', must_change_password: false })
  page = await open()
})

const sent = () => m.server.requests.filter((r) => r.path === '/registrations')
const rules = () => text(page, '#rules')

async function addDrug(barcode: string, times = 1, p: Page = page) {
  for (let i = 0; i < times; i++) {
    m.scanResults.push(barcode)
    await tap(p, '#scan-drug')
  }
}

describe('identifying the buyer', () => {
  it('ID card photo → masked identity and remaining allowance shown → drug → registered with its Idempotency-Key', async () => {
    const key = page.data.key
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    await tap(page, '#method-id_card')
    expect(m.server.requests.map((r) => r.path)).toContain('/scan/id-card')
    expect(text(page, '#buyer')).toMatch(/张\*/)
    expect(text(page, '#buyer')).toMatch(/110105\*{8}002X/)
    expect(text(page, '#window')).toBe('该购买人近 7 天还可购买 5 盒')
    expect(exists(page, '#method-id_card')).toBe(false) // the choice gives way to the buyer

    await addDrug(EPHEDRINE.barcode)
    expect(text(page, '#line-0')).toContain(EPHEDRINE.name)
    await type(page, '#batch-0', 'B2301')
    expect(text(page, '#submit')).toBe('提交登记（共 1 盒）')
    await tap(page, '#submit')

    expect(m.server.registrations).toHaveLength(1)
    const [req] = sent()
    expect(req.headers['Idempotency-Key']).toBe(key)
    expect(req.body).toMatchObject({ scan_token: expect.stringMatching(/^scan-/), items: [{ barcode: EPHEDRINE.barcode, quantity: 1, batch_no: 'B2301' }] })
    expect(m.toasts).toContain('登记成功')
    expect(page.data.key).not.toBe(key) // the next sale gets its own key
    expect(exists(page, '#buyer')).toBe(false) // ready for the next customer
    expect(exists(page, '#line-0')).toBe(false)
  })

  it('social-security card photo goes to /scan/ss-card, a large photo compressed first', async () => {
    m.photo = { path: 'wxfile://big.jpg', size: 6 * 1024 * 1024 }
    await tap(page, '#method-ss_card')
    const scan = m.server.requests.find((r) => r.path === '/scan/ss-card')!
    expect(scan.body).toEqual({ image: 'wxfile://big.jpg.small.jpg' })
    expect(text(page, '#buyer')).toContain('社保卡')
    expect(text(page, '#window')).toBe('该购买人近 7 天还可购买 5 盒')
  })

  it('a cancelled photo changes nothing', async () => {
    m.photo = null
    await tap(page, '#method-id_card')
    expect(m.server.requests.filter((r) => r.path.startsWith('/scan'))).toHaveLength(0)
    expect(exists(page, '#buyer')).toBe(false)
  })

  it('card reader fields are posted as JSON card_reader', async () => {
    setCardReader({ read: async () => ({ kind: 'id_card', fields: { name: '张三', id_number: '11010519491231002X' } }) })
    await tap(page, '#method-reader')
    const scan = m.server.requests.find((r) => r.path === '/scan/id-card')!
    expect(scan.body).toEqual({ card_reader: { name: '张三', id_number: '11010519491231002X' } })
    expect(text(page, '#buyer')).toMatch(/张\*/)
    expect(text(page, '#window')).toBe('该购买人近 7 天还可购买 5 盒')
  })

  it('without a card reader says to photograph or type instead; a reader failure says what to do', async () => {
    setCardReader({ read: () => Promise.reject(new NoReaderError()) })
    await tap(page, '#method-reader')
    expect(m.modals.pop()).toMatch(/拍照识别或手工录入/)
    expect(exists(page, '#buyer')).toBe(false)
    setCardReader({ read: () => Promise.reject(new CardReaderError('READ_FAILED', '读卡失败：请把证件放稳在读卡器上再点“读卡器”')) })
    await tap(page, '#method-reader')
    expect(m.modals.pop()).toBe('读卡失败：请把证件放稳在读卡器上再点“读卡器”')
  })

  it('manual entry checks the ID number at the counter, says the allowance is unknown, and sends the typed buyer', async () => {
    await tap(page, '#method-manual')
    await type(page, '#manual-name', '张三')
    await type(page, '#manual-id', '110105194912310021')
    await tap(page, '#manual-confirm')
    expect(text(page, '#manual-id')).toMatch(/校验位不对/) // shown under the field
    expect(exists(page, '#buyer')).toBe(false)
    await type(page, '#manual-id', '11010519491231002x')
    await tap(page, '#manual-confirm')
    expect(text(page, '#buyer')).toMatch(/张\*[\s\S]*110105\*{8}002X[\s\S]*手工录入/)
    // No scan, no remaining allowance: said plainly, with what the server will do.
    expect(text(page, '#window')).toBe('手工录入无法预先查询该购买人近 7 天的购买量：提交时由系统核验，累计超过 5 盒将被拒绝登记')
    await addDrug(EPHEDRINE.barcode)
    await tap(page, '#submit')
    expect(sent()[0].body.buyer).toEqual({ name: '张三', id_number: '11010519491231002X' })
    expect(m.server.registrations[0].needs_review).toBe(true)
  })

  it('"重新扫描" drops the buyer and offers the four ways again', async () => {
    await tap(page, '#method-id_card')
    await tap(page, '#clear-buyer')
    expect(exists(page, '#buyer')).toBe(false)
    expect(exists(page, '#method-manual')).toBe(true)
  })
})

describe('drugs and the per-sale rules', () => {
  it('counts a box scanned again, explains the cap, and the stepper, prescription and delete fix it', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode, 3) // the same box scanned three times
    expect(page.querySelectorAll('.line')).toHaveLength(1)
    expect(prop(page, '#qty-0', 'value')).toBe(3)
    expect(rules()).toMatch(/无处方每次最多 2 盒，现为 3 盒：请减少数量或录入处方号/)
    await tap(page, '#submit')
    expect(sent()).toHaveLength(0) // disabled while the rules say no

    await step(page, '#qty-0', 'minus')
    expect(prop(page, '#qty-0', 'value')).toBe(2)
    expect(texts(page, '.problem')).toEqual([])
    await step(page, '#qty-0', 'plus')
    await type(page, '#prescription', 'RX-001')
    expect(texts(page, '.problem')).toEqual([])
    expect(rules()).toMatch(/凭处方销售，不受单次 2 盒限制（7 天累计限制仍适用）/)

    await type(page, '#prescription', '')
    await tap(page, '#remove-0')
    expect(page.querySelectorAll('.line')).toHaveLength(0)
    await addDrug(CODEINE.barcode)
    expect(texts(page, '.problem').join()).toMatch(/复方磷酸可待因口服溶液 为处方药，须录入处方号/)
    await tap(page, '#remove-0')
    await addDrug(LIQUORICE.barcode, 2) // this product's own cap is 1
    expect(texts(page, '.problem').join()).toMatch(/复方甘草片 每次最多 1 盒，现为 2 盒/)
    await tap(page, '#submit')
    expect(sent()).toHaveLength(0)
  })

  it('an unknown barcode is explained and adds nothing; the trace code is scanned per line', async () => {
    await addDrug('6901234560099')
    expect(m.modals.pop()).toMatch(/药品不在目录中，请核对条形码/)
    expect(page.querySelectorAll('.line')).toHaveLength(0)
    await addDrug(EPHEDRINE.barcode)
    m.scanResults.push('(01)06901234560015(10)B2301')
    await tap(page, '#trace-0')
    expect(text(page, '#line-0')).toContain('追溯码：(01)06901234560015(10)B2301')
  })
})

describe("the city's limits", () => {
  it('explains the per-sale and window rules with the values the server publishes', async () => {
    m.server.policy = { per_sale_limit: 1, window_limit: 3, window_days: 30, window_action: 'alert', refuse_minors: true }
    page = await open()
    expect(rules()).toMatch(/无处方每次最多 1 盒（最小包装）/)
    expect(rules()).toMatch(/同一购买人 30 天内在全市所有药店累计最多 3 盒，超出仍可登记，但将报送区局/)
    expect(rules()).not.toMatch(/默认规则/)
    await tap(page, '#method-id_card')
    expect(text(page, '#window')).toBe('该购买人近 30 天还可购买 3 盒')
    await addDrug(EPHEDRINE.barcode, 2)
    expect(texts(page, '.problem')).toEqual(['· 无处方每次最多 1 盒，现为 2 盒：请减少数量或录入处方号'])
  })

  it('keeps the rules for offline use; only a phone that never fetched them shows the defaults, and says so', async () => {
    m.server.policy = { ...m.server.policy, per_sale_limit: 3, window_days: 10 }
    page = await open() // fetched and kept
    expect(rules()).toMatch(/无处方每次最多 3 盒/)
    m.fault = () => 'fail'
    page = await open() // offline: the kept rules
    expect(rules()).toMatch(/无处方每次最多 3 盒/)
    expect(rules()).toMatch(/同一购买人 10 天内/)
    expect(rules()).not.toMatch(/默认规则/)

    m = installWx() // another phone, never online
    m.fault = () => 'fail'
    saveSession('tok-x')
    page = await open()
    expect(rules()).toMatch(/无处方每次最多 2 盒/)
    expect(rules()).toMatch(/同一购买人 7 天内在全市所有药店累计最多 5 盒，超出将被拒绝登记/)
    expect(rules()).toMatch(/尚未取得本市限购规则，暂按国家默认规则提示/)
  })

  it('block: a cart over the remaining allowance is explained as refused and cannot be submitted until reduced', async () => {
    m.server.boughtElsewhere = 4
    await tap(page, '#method-id_card')
    expect(text(page, '#window')).toBe('该购买人近 7 天还可购买 1 盒')
    await addDrug(EPHEDRINE.barcode, 2)
    expect(texts(page, '.problem')).toEqual(['· 该购买人近 7 天还可购买 1 盒，本次 2 盒超出，提交将被拒绝：请减少到 1 盒以内'])
    await tap(page, '#submit')
    expect(sent()).toHaveLength(0)
    await step(page, '#qty-0', 'minus')
    expect(texts(page, '.problem')).toEqual([])
    await tap(page, '#submit')
    expect(m.server.registrations).toHaveLength(1)
  })

  it('block: a buyer with nothing left is told at once', async () => {
    m.server.boughtElsewhere = 5
    await tap(page, '#method-id_card')
    expect(text(page, '#window')).toBe('该购买人近 7 天还可购买 0 盒')
    await addDrug(EPHEDRINE.barcode)
    expect(texts(page, '.problem')).toEqual(['· 该购买人近 7 天在全市已购满 5 盒，本次 1 盒，提交将被拒绝：本次不能销售'])
  })

  it('alert: over the allowance is a warning that it will be registered and reported; submit asks, then registers', async () => {
    m.server.policy = { ...m.server.policy, window_action: 'alert' }
    m.server.boughtElsewhere = 4
    page = await open()
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode, 2)
    expect(texts(page, '.problem')).toEqual([])
    expect(texts(page, '.warning')).toEqual(['· 该购买人近 7 天还可购买 1 盒，本次 2 盒超出：仍可登记，但将报送区局'])
    m.modalConfirm = false
    await tap(page, '#submit')
    expect(m.modals.pop()).toMatch(/仍可登记，但将报送区局[\s\S]*确定登记/)
    expect(sent()).toHaveLength(0) // the clerk said no
    m.modalConfirm = true
    await tap(page, '#submit')
    expect(m.server.registrations).toHaveLength(1)
    expect(m.server.registrations[0].alerts).toEqual(['WINDOW_LIMIT'])
    expect(m.modals.pop()).toMatch(/已按规定报送区局/)
  })

  it('a minor is refused before submit when the city refuses minors', async () => {
    const minor = { name: '李四', id_number: '110105201001010016' } // born 2010
    setCardReader({ read: async () => ({ kind: 'id_card', fields: minor }) })
    const handle = m.server.handle.bind(m.server)
    m.server.handle = (req) => {
      const res = handle(req)
      if (req.path === '/scan/id-card') Object.assign(res.body as object, { age: 16 })
      return res
    }
    await tap(page, '#method-reader')
    expect(text(page, '#buyer')).toMatch(/未满 18 周岁，不得销售/)
    await addDrug(EPHEDRINE.barcode)
    expect(texts(page, '.problem')).toContain('· 购买人未满 18 周岁，不得销售')
  })
})

describe('submit outcomes', () => {
  it('a network failure queues the sale, shows the pending count, and the page starts a new sale', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode)
    const key = page.data.key
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    await tap(page, '#submit')
    expect(pendingCount()).toBe(1)
    expect(loadQueue()[0].key).toBe(key)
    expect(m.modals[0]).toMatch(/网络不通，本笔登记已保存（待提交 1 笔），网络恢复后自动提交，不会重复登记/)
    expect(text(page, '#pending')).toMatch(/待提交 1 笔/)
    expect(page.querySelectorAll('.line')).toHaveLength(0)
  })

  it('a refusal is shown with the table message, not queued, and the corrected sale gets a new key', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode)
    const key = page.data.key
    m.server.refuseWith = 'MINOR_NOT_ALLOWED'
    await tap(page, '#submit')
    expect(m.modals[0]).toMatch(/购买人未满 18 周岁，不得销售此类药品/)
    expect(loadQueue()).toEqual([])
    expect(page.data.key).not.toBe(key)
    expect(page.querySelectorAll('.line')).toHaveLength(1) // kept for the clerk
  })

  it('an expired scan at submit clears the buyer so the clerk scans again', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode)
    m.server.scanTokens.clear()
    await tap(page, '#submit')
    expect(m.modals[0]).toMatch(/重新扫描证件/)
    expect(exists(page, '#buyer')).toBe(false)
    await tap(page, '#method-id_card')
    await tap(page, '#submit')
    expect(m.server.registrations).toHaveLength(1)
  })
})

describe('queue and retry through the pages', () => {
  it('a timeout after the server committed, then the retry when home shows, with the same key, registers exactly once', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode, 2)
    const key = page.data.key
    m.fault = (r) => (r.path === '/registrations' ? 'timeout-after' : undefined)
    await tap(page, '#submit')
    expect(m.server.registrations).toHaveLength(1) // the server did act; the answer was lost
    expect(m.modals.pop()).toMatch(/已保存（待提交 1 笔）/)

    m.fault = () => undefined
    const home = renderPage('home')
    home.instance.onShow() // back on home: what waits is sent again at once
    await settle()
    expect(m.server.registrations).toHaveLength(1) // replayed, not registered twice
    expect(sent().map((r) => r.headers['Idempotency-Key'])).toEqual([key, key])
    expect(sent()[1].body).toEqual(sent()[0].body)
    expect(exists(home, '#pending')).toBe(false)
    expect(pendingCount()).toBe(0)
  })

  it('立即重试 while still offline keeps the sale and says so; once online it goes through once', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode)
    m.fault = (r) => (r.path === '/registrations' ? 'timeout-after' : undefined)
    await tap(page, '#submit')
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    const home = renderPage('home')
    home.instance.onShow()
    await settle()
    expect(text(home, '#pending')).toBe('登记 1 笔待提交')
    await tap(home, '#retry')
    expect(m.toasts.pop()).toMatch(/仍有 1 条未提交，请检查网络后再试/)
    m.fault = () => undefined
    await tap(home, '#retry')
    expect(m.toasts.pop()).toBe('已全部提交')
    expect(m.server.registrations).toHaveLength(1)
    expect(exists(home, '#outbox')).toBe(false)
  })

  it('a queued sale whose scan expired: home lists 需重新扫描证件; re-scanning registers it and clears the entry', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode, 2)
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    await tap(page, '#submit')
    const old = loadQueue()[0]
    m.fault = () => undefined
    m.server.scanTokens.clear() // 10 minutes later

    const home = renderPage('home')
    home.instance.onShow()
    await settle()
    expect(text(home, '#attention')).toMatch(/张\* 110105\*{8}002X · 复方盐酸伪麻黄碱缓释胶囊×2[\s\S]*需重新扫描证件/)
    await tap(home, '#rescan-0')
    expect(m.navigations.pop()!.url).toBe(`/pages/register/index?rescan=${old.key}`)

    const redo = await open({ rescan: old.key })
    expect(text(redo, '#rescan')).toMatch(/请重新扫描购买人证件后提交/)
    expect(text(redo, '#line-0')).toContain(EPHEDRINE.name) // drugs kept: only the card again
    expect(prop(redo, '#qty-0', 'value')).toBe(2)
    expect(redo.data.key).not.toBe(old.key)
    await tap(redo, '#method-id_card')
    await tap(redo, '#submit')
    expect(m.server.registrations).toHaveLength(1)
    expect(m.server.registrations[0].total_packages).toBe(2)
    expect(loadQueue()).toEqual([])
    expect(exists(home, '#attention')).toBe(false)
  })

  it('a refusal that comes on a retry is listed on home with its message until the clerk taps 知道了', async () => {
    await tap(page, '#method-id_card')
    await addDrug(EPHEDRINE.barcode)
    m.fault = (r) => (r.path === '/registrations' ? 'fail' : undefined)
    await tap(page, '#submit')
    m.fault = () => undefined
    m.server.refuseWith = 'PHARMACY_SUSPENDED'
    const home = renderPage('home')
    home.instance.onShow()
    await settle()
    expect(text(home, '#attention')).toMatch(/本药店已停业，暂不能登记，请联系区局/)
    const reached = sent().length
    home.instance.onShow() // shown again: a refusal is not retried
    await settle()
    expect(sent()).toHaveLength(reached)
    await tap(home, '#dismiss-0')
    expect(exists(home, '#attention')).toBe(false)
  })
})

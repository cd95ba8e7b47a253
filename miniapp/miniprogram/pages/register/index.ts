/**
 * Registering a sale at the counter: buyer (photo of ID / social-security
 * card, card reader, or typed), drugs by barcode, the city's rules explained
 * with the buyer's remaining allowance from the scan, submit.
 * The Idempotency-Key is made when the sale is composed and travels with it
 * through every retry (see utils/queue.ts); it is renewed only for a new sale
 * or after a refusal (a refused request created nothing).
 */
import { ApiError } from '../../api/api-error'
import { drugByBarcode } from '../../api/drugs'
import { scanPhoto, scanReader, type CardKind } from '../../api/scan'
import type { NewRegistration } from '../../api/contract'
import { cardReader } from '../../utils/card-reader'
import { isoDateTime } from '../../utils/dates'
import { ERROR_MESSAGES } from '../../utils/errors'
import { checkIdNumber } from '../../utils/id-number'
import { fromManual, fromScan, type BuyerView } from '../../utils/identity'
import { findQueued, onQueueChange, pendingCount, removeQueued, submitSale, type SaleLine } from '../../utils/queue'
import { cachedPolicy, DEFAULT_POLICY, refreshPolicy, type KnownPolicy } from '../../utils/policy'
import { checkSale, type RuleCheck } from '../../utils/rules'
import { alertBox, confirmBox, showError, toast } from '../../utils/ui'
import { uuid4 } from '../../utils/uuid'
import { whileAttached } from '../../utils/once'

type MethodValue = CardKind | 'reader' | 'manual'

const METHODS: { value: MethodValue; label: string }[] = [
  { value: 'id_card', label: '身份证' },
  { value: 'ss_card', label: '社保卡' },
  { value: 'reader', label: '读卡器' },
  { value: 'manual', label: '手工录入' },
]

/** Photos above this are compressed first (the server takes at most 4 MiB). */
const MAX_PHOTO_BYTES = 4 * 1024 * 1024


Component({
  data: {
    methods: METHODS,
    method: '' as MethodValue | '',
    key: '',
    buyer: null as BuyerView | null,
    scanToken: '',
    manualName: '',
    manualId: '',
    manualIdValue: '',
    manualError: '',
    lines: [] as SaleLine[],
    prescriptionNo: '',
    /** The city's rules (cached; the SPEC defaults only if never fetched). */
    known: { policy: DEFAULT_POLICY, fetchedAt: '' } as KnownPolicy,
    rule: checkSale([], '', { policy: DEFAULT_POLICY, fetchedAt: '' }) as RuleCheck,
    canSubmit: false,
    busy: '' as '' | 'scan' | 'drug' | 'submit',
    pending: 0,
    rescanOf: '',
  },
  lifetimes: whileAttached((page: WechatMiniprogram.Component.TrivialInstance) =>
    onQueueChange((q) => page.setData({ pending: pendingCount(q) }))),
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      this.setData({ key: uuid4(), pending: pendingCount(), known: cachedPolicy() })
      const old = query.rescan ? findQueued(query.rescan) : undefined
      if (old) {
        this.setData({ rescanOf: old.key, lines: old.lines.map((l) => ({ ...l, barcode: l.drug.barcode })), prescriptionNo: old.body.prescription_no || '' })
      }
      this.recheck()
      return this.loadPolicy()
    },
    /** The rules as published now; offline the cached ones stay. */
    async loadPolicy() {
      const known = await refreshPolicy()
      this.setData({ known })
      this.recheck()
    },
    onShow() {
      this.setData({ pending: pendingCount() })
    },

    // --- buyer -----------------------------------------------------------
    async pickMethod(e: WechatMiniprogram.BaseEvent) {
      const method = e.currentTarget.dataset.method as MethodValue
      this.setData({ method, manualError: '' })
      if (method === 'id_card' || method === 'ss_card') await this.takePhoto(method)
      else if (method === 'reader') await this.readCard()
    },
    async takePhoto(kind: CardKind) {
      let path: string
      try {
        path = await choosePhoto()
      } catch {
        return // the clerk cancelled
      }
      this.setData({ busy: 'scan' })
      try {
        const r = await scanPhoto(kind, path)
        this.setBuyer(fromScan(r), r.scan_token)
      } catch (err) {
        await showError(err, '证件识别失败')
      } finally {
        this.setData({ busy: '' })
      }
    },
    async readCard() {
      this.setData({ busy: 'scan' })
      try {
        const fields = await cardReader().read('id_card')
        const r = await scanReader(fields)
        this.setBuyer(fromScan(r), r.scan_token)
      } catch (err) {
        await showError(err, '读卡失败')
      } finally {
        this.setData({ busy: '' })
      }
    },
    onManualName(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ manualName: e.detail.value })
    },
    onManualId(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ manualId: e.detail.value, manualError: '' })
    },
    confirmManual() {
      const name = this.data.manualName.trim()
      if (!name) {
        this.setData({ manualError: '请填写姓名' })
        return
      }
      const id = checkIdNumber(this.data.manualId)
      if (!id.ok) {
        this.setData({ manualError: ERROR_MESSAGES[id.code] })
        return
      }
      this.setData({ manualIdValue: id.value })
      this.setBuyer(fromManual(name, id.value), '')
    },
    setBuyer(buyer: BuyerView, scanToken: string) {
      this.setData({ buyer, scanToken })
      this.recheck()
    },
    clearBuyer() {
      this.setData({ buyer: null, scanToken: '', manualIdValue: '' })
      this.recheck()
    },

    // --- drugs -----------------------------------------------------------
    async scanDrug() {
      let barcode: string
      try {
        barcode = await scanCode(['barCode'])
      } catch {
        return
      }
      const lines = this.data.lines.slice()
      const same = lines.findIndex((l) => l.drug.barcode === barcode)
      if (same >= 0) {
        lines[same] = { ...lines[same], quantity: lines[same].quantity + 1 }
        this.setLines(lines)
        return
      }
      this.setData({ busy: 'drug' })
      try {
        const drug = await drugByBarcode(barcode)
        this.setLines(lines.concat({ barcode: drug.barcode, drug, quantity: 1, batch_no: '', trace_code: '' }))
      } catch (err) {
        await showError(err, '未找到药品')
      } finally {
        this.setData({ busy: '' })
      }
    },
    onQuantity(e: WechatMiniprogram.CustomEvent<{ value: number }>) {
      this.editLine(e, { quantity: Math.max(1, Number(e.detail.value) || 1) })
    },
    onBatch(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.editLine(e, { batch_no: e.detail.value })
    },
    async scanTrace(e: WechatMiniprogram.BaseEvent) {
      try {
        const code = await scanCode(['barCode', 'qrCode', 'datamatrix'])
        this.editLine(e, { trace_code: code })
      } catch {
        /* cancelled */
      }
    },
    removeLine(e: WechatMiniprogram.BaseEvent) {
      const i = Number(e.currentTarget.dataset.index)
      this.setLines(this.data.lines.filter((_, j) => j !== i))
    },
    editLine(e: WechatMiniprogram.BaseEvent, change: Partial<SaleLine>) {
      const i = Number(e.currentTarget.dataset.index)
      this.setLines(this.data.lines.map((l, j) => (j === i ? { ...l, ...change } : l)))
    },
    setLines(lines: SaleLine[]) {
      this.setData({ lines })
      this.recheck()
    },
    onPrescription(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ prescriptionNo: e.detail.value })
      this.recheck()
    },

    // --- rules and submit --------------------------------------------------
    recheck() {
      const b = this.data.buyer
      const facts = b ? { age: b.age, windowRemaining: b.windowRemaining, windowDays: b.windowDays } : undefined
      const rule = checkSale(this.data.lines, this.data.prescriptionNo, this.data.known, facts)
      const canSubmit = !!this.data.buyer && this.data.lines.length > 0 && rule.problems.length === 0
      this.setData({ rule, canSubmit })
    },
    body(): NewRegistration {
      const d = this.data
      const body: NewRegistration = {
        items: d.lines.map((l) => ({
          barcode: l.drug.barcode,
          quantity: l.quantity,
          batch_no: l.batch_no.trim() || undefined,
          trace_code: l.trace_code || undefined,
        })),
        client_time: isoDateTime(),
      }
      if (d.scanToken) body.scan_token = d.scanToken
      else body.buyer = { name: d.manualName.trim(), id_number: d.manualIdValue }
      if (d.prescriptionNo.trim()) body.prescription_no = d.prescriptionNo.trim()
      return body
    },
    async submit() {
      const d = this.data
      if (d.busy) return
      if (!d.buyer) return void alertBox(ERROR_MESSAGES.BUYER_REQUIRED)
      if (!d.lines.length) return void alertBox('请扫描药品条形码')
      if (d.rule.problems.length) return void alertBox(d.rule.problems.join('\n'), '不能提交')
      if (d.rule.overWindow && !(await confirmBox(`${d.rule.warnings.join('\n')}\n确定登记？`, '登记并报送'))) return
      this.setData({ busy: 'submit' })
      try {
        const r = await submitSale({
          key: d.key,
          body: this.body(),
          buyer: `${d.buyer.name_masked} ${d.buyer.id_masked}`,
          items: d.lines.map((l) => `${l.drug.name}×${l.quantity}`).join('，'),
          lines: d.lines,
        })
        if (d.rescanOf) removeQueued(d.rescanOf)
        if (r.outcome === 'created') {
          toast('登记成功', 'success')
          if (r.registration.alerts.length) await alertBox('已登记。该购买人近期购买较多，已按规定报送区局。', '已登记')
        } else {
          await alertBox(`网络不通，本笔登记已保存（待提交 ${r.pending} 笔），网络恢复后自动提交，不会重复登记。`, '已保存')
        }
        this.startNew()
      } catch (err) {
        // A refusal created nothing: the corrected sale gets a fresh key
        // (the same key with another body would be IDEMPOTENCY_KEY_REUSED).
        this.setData({ key: uuid4() })
        if (err instanceof ApiError && err.code === 'SCAN_TOKEN_INVALID') this.clearBuyer()
        await showError(err, '未能登记')
      } finally {
        this.setData({ busy: '' })
      }
    },
    startNew() {
      this.setData({
        key: uuid4(),
        buyer: null,
        scanToken: '',
        manualName: '',
        manualId: '',
        manualIdValue: '',
        lines: [],
        prescriptionNo: '',
        rescanOf: '',
        pending: pendingCount(),
      })
      this.recheck()
    },
  },
})

function choosePhoto(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.chooseMedia({
      count: 1,
      mediaType: ['image'],
      sourceType: ['camera', 'album'],
      sizeType: ['compressed'],
      camera: 'back',
      success: (r) => {
        const f = r.tempFiles[0]
        if (f.size <= MAX_PHOTO_BYTES) return resolve(f.tempFilePath)
        wx.compressImage({ src: f.tempFilePath, quality: 60, success: (c) => resolve(c.tempFilePath), fail: reject })
      },
      fail: reject,
    })
  })
}

function scanCode(scanType: ('barCode' | 'qrCode' | 'datamatrix')[]): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.scanCode({ onlyFromCamera: false, scanType, success: (r) => resolve(r.result), fail: reject })
  })
}

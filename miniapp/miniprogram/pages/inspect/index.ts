/**
 * The inspection form: result, findings, disposition, photos. The rules are
 * explained while filling in (utils/inspection-rules.ts); photos are uploaded
 * as soon as they are taken; the draft and its Idempotency-Key live in storage
 * (utils/inspection-draft.ts). A submit lost to the network leaves the draft
 * pending and locked: it is sent again automatically (network back, app or
 * page shown) or at once with “重新提交”, with the same key, recording one
 * inspection. A refusal unlocks the form with the table's message.
 */
import { uploadPhoto } from '../../api/inspection'
import { isTransient } from '../../api/api-error'
import type { Disposition, InspectionResult, NewInspection } from '../../api/contract'
import { isoDateTime } from '../../utils/dates'
import { messageFor } from '../../utils/errors'
import {
  clearDraft, loadDraft, onDraftsChange, openDraft, reopenDraft, saveDraft, sendDraft, submitDraft, type Draft, type DraftPhoto,
} from '../../utils/inspection-draft'
import { checkInspection, MAX_PHOTOS, RESULTS, type InspectionCheck } from '../../utils/inspection-rules'
import { alertBox, confirmBox, toast } from '../../utils/ui'
import { whileAttached } from '../../utils/once'

/** `POST /inspection/photos` takes at most 10 MiB. */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024

function compress(src: string): Promise<string> {
  return new Promise((resolve) => {
    wx.compressImage({ src, quality: 60, success: (r) => resolve(r.tempFilePath), fail: () => resolve(src) })
  })
}

function choosePhotos(count: number): Promise<{ path: string; size: number }[]> {
  return new Promise((resolve) => {
    wx.chooseMedia({
      count,
      mediaType: ['image'],
      sourceType: ['camera', 'album'],
      sizeType: ['compressed'],
      camera: 'back',
      success: (r) => resolve(r.tempFiles.map((f) => ({ path: f.tempFilePath, size: f.size }))),
      fail: () => resolve([]), // cancelled
    })
  })
}

/** What the page shows for a stored draft's state. */
function notice(d: Draft): string {
  if (d.pending) return d.message || '已提交，等待网络恢复后自动提交（不会重复记录）'
  return d.refused ? `未能提交：${d.refused.message}` : ''
}


Component({
  data: {
    pharmacyId: '',
    name: '',
    key: '',
    result: '' as InspectionResult | '',
    findings: '',
    disposition: '' as Disposition | '',
    photos: [] as DraftPhoto[],
    /** Frozen body of a submit whose answer was lost. */
    sent: null as NewInspection | null,
    /** Submitted and waiting for the network: the form is locked and sent again automatically. */
    pending: false,
    results: RESULTS,
    check: checkInspection({ result: '', findings: '', disposition: '', photos: 0 }) as InspectionCheck,
    uploading: 0,
    busy: false,
    unsentMessage: '',
    /** Submitted: nothing more is saved as a draft. */
    done: false,
    fieldErrors: {} as Record<string, string>,
  },
  lifetimes: whileAttached((page: { onDraftChanged(): void }) => onDraftsChange(() => page.onDraftChanged())),
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      const name = query.name ? decodeURIComponent(query.name) : ''
      const d = openDraft(query.id || '', name)
      this.setData({ pharmacyId: d.pharmacyId, name: name || d.pharmacyName || '' })
      this.show(d)
    },
    /** Back on the form (or the app): a pending draft is sent again at once. */
    onShow() {
      if (this.data.pending && !this.data.busy) void sendDraft(this.data.pharmacyId)
    },
    /** Shows a stored draft: its content, whether it waits, and why it did not go through. */
    show(d: Draft) {
      this.setData({
        key: d.key,
        result: d.result,
        findings: d.findings,
        disposition: d.disposition,
        photos: d.photos,
        sent: d.sent || null,
        pending: !!d.pending,
        unsentMessage: notice(d),
        fieldErrors: d.refused?.fields || {},
      })
      this.recheck()
    },
    /** The draft changed outside this page (sent in the background when the network came back). */
    onDraftChanged() {
      if (!this.data.pending || this.data.busy || this.data.done) return
      const d = loadDraft(this.data.pharmacyId)
      if (d) {
        this.show(d)
        return
      }
      this.setData({ done: true, pending: false, sent: null, unsentMessage: '' })
      toast('检查记录已提交', 'success')
      wx.navigateBack({ delta: 1 })
    },
    draft(): Draft {
      const d = this.data
      return {
        ...(loadDraft(d.pharmacyId) || {}),
        pharmacyId: d.pharmacyId, pharmacyName: d.name, key: d.key, result: d.result, findings: d.findings,
        disposition: d.disposition, photos: d.photos, sent: d.sent || undefined,
      }
    },
    /** Re-explains the rules and saves the draft after every change (never while it waits: storage is then the truth). */
    recheck() {
      const d = this.data
      this.setData({
        check: checkInspection({ result: d.result, findings: d.findings, disposition: d.disposition, photos: d.photos.length }),
        uploading: d.photos.filter((p) => p.status === 'uploading').length,
      })
      if (!this.data.done && !this.data.pending && !this.data.busy) saveDraft(this.draft())
    },
    locked(): boolean {
      const locked = this.data.pending || !!this.data.sent
      if (locked) toast(this.data.sent ? '正在等待上次提交的结果，内容已锁定' : '已提交，等待网络恢复；如需修改请点“修改内容”')
      return locked
    },
    pickResult(e: WechatMiniprogram.BaseEvent) {
      if (this.locked()) return
      const result = e.currentTarget.dataset.value as InspectionResult
      // Compliant allows only “无需处置”: chosen for the inspector. Issues found: choose on purpose.
      const disposition: Disposition | '' = result === 'compliant' ? 'none' : this.data.result === 'compliant' ? '' : this.data.disposition
      this.setData({ result, disposition, fieldErrors: {} })
      this.recheck()
    },
    pickDisposition(e: WechatMiniprogram.BaseEvent) {
      if (this.locked()) return
      const value = e.currentTarget.dataset.value as Disposition
      const option = this.data.check.dispositions.find((d) => d.value === value)
      if (option?.disabled) {
        toast('检查合格时处置只能为“无需处置”；如需处置请把结论改为“发现问题”')
        return
      }
      this.setData({ disposition: value, fieldErrors: {} })
      this.recheck()
    },
    onFindings(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      if (this.data.sent || this.data.pending) return
      this.setData({ findings: e.detail.value, fieldErrors: {} })
      this.recheck()
    },
    async addPhoto() {
      if (this.locked()) return
      const room = MAX_PHOTOS - this.data.photos.length
      if (room <= 0) {
        toast(`照片最多 ${MAX_PHOTOS} 张`)
        return
      }
      const chosen = await choosePhotos(Math.min(9, room))
      const added: string[] = []
      for (const f of chosen) {
        const path = f.size > MAX_PHOTO_BYTES ? await compress(f.path) : f.path
        added.push(path)
      }
      this.setData({ photos: this.data.photos.concat(added.map((path) => ({ path, status: 'uploading' as const }))) })
      this.recheck()
      await Promise.all(added.map((p) => this.upload(p)))
    },
    setPhoto(path: string, change: Partial<DraftPhoto>) {
      this.setData({ photos: this.data.photos.map((p) => (p.path === path ? { ...p, ...change } : p)) })
      this.recheck()
    },
    /** Uploads one photo as soon as it is taken; resolves true when it has its key. */
    async upload(path: string): Promise<boolean> {
      this.setPhoto(path, { status: 'uploading', message: '' })
      try {
        const ref = await uploadPhoto(path)
        if (!this.data.photos.some((p) => p.path === path)) return true // removed meanwhile
        this.setPhoto(path, { status: 'done', key: ref.key, network: false })
        return true
      } catch (err) {
        const network = isTransient(err)
        this.setPhoto(path, { status: 'failed', network, message: network ? '上传失败，点此重试' : messageFor(err) })
        return false
      }
    },
    retryPhoto(e: WechatMiniprogram.BaseEvent) {
      if (this.data.pending) return sendDraft(this.data.pharmacyId) // the draft's own retry uploads it
      return this.upload(String(e.currentTarget.dataset.path))
    },
    removePhoto(e: WechatMiniprogram.BaseEvent) {
      if (this.locked()) return
      const path = String(e.currentTarget.dataset.path)
      this.setData({ photos: this.data.photos.filter((p) => p.path !== path) })
      this.recheck()
    },
    previewPhoto(e: WechatMiniprogram.BaseEvent) {
      wx.previewImage({ current: String(e.currentTarget.dataset.path), urls: this.data.photos.map((p) => p.path) })
    },
    async submit() {
      if (this.data.busy) return
      if (!this.data.sent && !this.data.pending) {
        const problems = this.data.check.problems
        if (problems.length) {
          await alertBox(problems.join('\n'), '请先补全')
          return
        }
      }
      const draft = this.draft()
      this.setData({ busy: true, unsentMessage: '', fieldErrors: {} })
      try {
        // Photos not yet uploaded go first (utils/inspection-draft.ts), then the inspection with their keys.
        const r = await submitDraft(draft, isoDateTime())
        if (r.outcome === 'created') {
          this.setData({ sent: null, pending: false, done: true })
          toast('检查记录已提交', 'success')
          wx.navigateBack({ delta: 1 })
          return
        }
        const stored = loadDraft(this.data.pharmacyId)
        if (stored) this.show(stored)
        if (r.outcome === 'refused') await alertBox(r.message, '未能提交')
      } finally {
        this.setData({ busy: false })
      }
    },
    /** A submitted draft whose body has not left the phone (a photo did not upload) can still be changed. */
    edit() {
      const d = reopenDraft(this.data.pharmacyId)
      if (d) this.show(d)
    },
    async discard() {
      const msg = this.data.sent
        ? '上次提交可能已到达服务器。放弃后不再重试，确定放弃？'
        : '放弃本次检查记录？已填写的内容将清除。'
      if (!(await confirmBox(msg, '放弃'))) return
      this.setData({ done: true })
      clearDraft(this.data.pharmacyId)
      wx.navigateBack({ delta: 1 })
    },
  },
})

/**
 * The inspection form: result, findings, disposition, photos. The rules are
 * explained while filling in (utils/inspection-rules.ts); photos are uploaded
 * as soon as they are taken; the draft and its Idempotency-Key live in storage
 * (utils/inspection-draft.ts) so a submit lost to the network is sent again
 * with the same key and records one inspection.
 */
import { uploadPhoto } from '../../api/inspection'
import { isTransient } from '../../api/api-error'
import type { Disposition, InspectionResult, NewInspection } from '../../api/contract'
import { isoDateTime } from '../../utils/dates'
import { fieldMessages, messageFor } from '../../utils/errors'
import { clearDraft, openDraft, saveDraft, submitDraft, type Draft, type DraftPhoto } from '../../utils/inspection-draft'
import { checkInspection, MAX_PHOTOS, RESULTS, type InspectionCheck } from '../../utils/inspection-rules'
import { alertBox, confirmBox, showError, toast } from '../../utils/ui'

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

Component({
  data: {
    pharmacyId: '',
    name: '',
    key: '',
    result: '' as InspectionResult | '',
    findings: '',
    disposition: '' as Disposition | '',
    photos: [] as DraftPhoto[],
    /** Frozen body of a submit whose answer was lost; the form is locked while set. */
    sent: null as NewInspection | null,
    results: RESULTS,
    check: checkInspection({ result: '', findings: '', disposition: '', photos: 0 }) as InspectionCheck,
    uploading: 0,
    busy: false,
    unsentMessage: '',
    /** Submitted: nothing more is saved as a draft. */
    done: false,
    fieldErrors: {} as Record<string, string>,
  },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      const d = openDraft(query.id || '')
      this.setData({
        pharmacyId: d.pharmacyId,
        name: query.name ? decodeURIComponent(query.name) : '',
        key: d.key,
        result: d.result,
        findings: d.findings,
        disposition: d.disposition,
        photos: d.photos,
        sent: d.sent || null,
        unsentMessage: d.sent ? '上次提交未收到回复，内容已保存。请点“重新提交”（不会重复记录）' : '',
      })
      this.recheck()
    },
    draft(): Draft {
      const d = this.data
      return {
        pharmacyId: d.pharmacyId, key: d.key, result: d.result, findings: d.findings,
        disposition: d.disposition, photos: d.photos, sent: d.sent || undefined,
      }
    },
    /** Re-explains the rules and saves the draft after every change. */
    recheck() {
      const d = this.data
      this.setData({
        check: checkInspection({ result: d.result, findings: d.findings, disposition: d.disposition, photos: d.photos.length }),
        uploading: d.photos.filter((p) => p.status === 'uploading').length,
      })
      if (!this.data.done) saveDraft(this.draft())
    },
    locked(): boolean {
      if (this.data.sent) toast('正在等待上次提交的结果，内容已锁定')
      return !!this.data.sent
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
      if (this.data.sent) return
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
    /** Uploads one photo; resolves true when it has its key. */
    async upload(path: string): Promise<boolean> {
      this.setPhoto(path, { status: 'uploading', message: '' })
      try {
        const ref = await uploadPhoto(path)
        if (!this.data.photos.some((p) => p.path === path)) return true // removed meanwhile
        this.setPhoto(path, { status: 'done', key: ref.key })
        return true
      } catch (err) {
        const network = isTransient(err)
        this.setPhoto(path, { status: 'failed', network, message: network ? '上传失败，点此重试' : messageFor(err) })
        return false
      }
    },
    retryPhoto(e: WechatMiniprogram.BaseEvent) {
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
      if (!this.data.sent) {
        const problems = this.data.check.problems
        if (problems.length) {
          await alertBox(problems.join('\n'), '请先补全')
          return
        }
      }
      this.setData({ busy: true, unsentMessage: '' })
      try {
        if (!this.data.sent) {
          // Photos not yet uploaded (taken offline, or failed) go first: the inspection names their keys.
          const pending = this.data.photos.filter((p) => p.status !== 'done')
          const ok = await Promise.all(pending.map((p) => this.upload(p.path)))
          if (ok.includes(false)) {
            const bad = this.data.photos.find((p) => p.status === 'failed')
            this.setData({
              unsentMessage: bad?.network ? '照片未能上传（网络不通），请有信号后重新提交' : `照片未能上传：${bad?.message || ''}，请删除该照片或重拍`,
            })
            return
          }
        }
        const r = await submitDraft(this.draft(), isoDateTime())
        if (r.outcome === 'created') {
          toast('检查记录已提交', 'success')
          this.setData({ sent: null, done: true })
          wx.navigateBack({ delta: 1 })
          return
        }
        this.setData({
          sent: openDraft(this.data.pharmacyId).sent || null,
          unsentMessage: `${messageFor(r.error)}。内容已保存，请点“重新提交”（不会重复记录）`,
        })
      } catch (err) {
        // A refusal: the draft is unlocked with a new key; show the table's message.
        const d = openDraft(this.data.pharmacyId)
        this.setData({ key: d.key, sent: null, fieldErrors: fieldMessages(err) })
        await showError(err, '未能提交')
      } finally {
        this.setData({ busy: false })
        this.recheck()
      }
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

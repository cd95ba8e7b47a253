/**
 * One pharmacy as an inspector sees it on site: its 30-day figures, recent
 * registrations (buyers masked), refused attempts, open alerts and past
 * inspections with their photos (fetched with the bearer token).
 */
import { getPharmacy } from '../../api/inspection'
import { download } from '../../api/request'
import type { Alert, Inspection, PharmacySummary, RefusedAttempt, Registration } from '../../api/contract'
import { detailText, kindLabel } from '../../utils/alert-kinds'
import { shortTime } from '../../utils/dates'
import { messageFor } from '../../utils/errors'
import { dispositionLabel, resultLabel } from '../../utils/inspection-rules'

/** Why a sale was refused, in a few words (the codes of SPEC §4.2). */
const REFUSALS: Record<string, string> = {
  MINOR_NOT_ALLOWED: '未成年人购买',
  PURCHASE_LIMIT_EXCEEDED: '超过单次限购',
  WINDOW_LIMIT_EXCEEDED: '超过累计限购',
  PRESCRIPTION_REQUIRED: '处方药无处方',
  DRUG_NOT_FOUND: '药品不在目录',
  DRUG_INACTIVE: '药品已停用',
  PHARMACY_SUSPENDED: '药店停业',
}

/** Past inspections' thumbnails fetched per page view (each is a download on a weak network). */
const MAX_THUMBS = 12

interface RegRow {
  id: string
  buyer: string
  drugs: string
  time: string
  review: boolean
}
interface AlertRow {
  id: string
  kind: string
  detail: string
  time: string
}
interface InspectionRow {
  id: string
  title: string
  findings: string
  by: string
  thumbs: { key: string; src: string; url: string }[]
}

function regRow(r: Registration): RegRow {
  return {
    id: r.id,
    buyer: `${r.buyer.name_masked} ${r.buyer.id_masked}`,
    drugs: r.items.map((i) => `${i.drug_name}×${i.quantity}`).join('，'),
    time: shortTime(r.created_at),
    review: r.needs_review,
  }
}

function alertRow(a: Alert): AlertRow {
  return { id: a.id, kind: kindLabel(a.kind), detail: detailText(a.detail), time: shortTime(a.created_at) }
}

function refusalRow(r: RefusedAttempt) {
  return { id: r.id, reason: REFUSALS[r.code] || r.code, detail: detailText(r.detail), time: shortTime(r.created_at) }
}

function inspectionRow(i: Inspection): InspectionRow {
  return {
    id: i.id,
    title: `${shortTime(i.inspected_at)} · ${resultLabel(i.result)} · ${dispositionLabel(i.disposition)}`,
    findings: i.findings,
    by: i.inspector_name,
    thumbs: i.photos.map((p) => ({ key: p.key, src: '', url: p.url })),
  }
}

Component({
  data: {
    id: '',
    p: null as PharmacySummary | null,
    registrations: [] as RegRow[],
    refused: [] as ReturnType<typeof refusalRow>[],
    alerts: [] as AlertRow[],
    inspections: [] as InspectionRow[],
    loading: false,
    error: '',
  },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      this.setData({ id: query.id || '' })
      return this.load()
    },
    /** Back from the inspection form or the alerts: show what changed. */
    onShow() {
      if (this.data.p) void this.load()
    },
    onPullDownRefresh() {
      void this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: true, error: '' })
      try {
        const d = await getPharmacy(this.data.id)
        wx.setNavigationBarTitle?.({ title: d.pharmacy.name })
        this.setData({
          p: d.pharmacy,
          registrations: d.recent_registrations.map(regRow),
          refused: d.refused_attempts.map(refusalRow),
          alerts: d.open_alerts.map(alertRow),
          inspections: d.inspections.map(inspectionRow),
        })
        await this.loadThumbs(d.inspections)
      } catch (err) {
        this.setData({ error: messageFor(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    /** The photo URLs need the bearer token: download each, then show the temp file. */
    async loadThumbs(inspections: Inspection[]) {
      let n = 0
      for (let i = 0; i < inspections.length; i++) {
        for (let j = 0; j < inspections[i].photos.length && n < MAX_THUMBS; j++, n++) {
          try {
            const src = await download(inspections[i].photos[j].thumbnail_url)
            this.setData({ [`inspections[${i}].thumbs[${j}].src`]: src })
          } catch {
            /* a missing thumbnail is not worth an error box; the tap retries with the full photo */
          }
        }
      }
    },
    /** A tap on a thumbnail opens the full photo (downloaded with the token). */
    async preview(e: WechatMiniprogram.BaseEvent) {
      const { i, j } = e.currentTarget.dataset as { i: number; j: number }
      const photo = this.data.inspections[i]?.thumbs[j]
      if (!photo) return
      try {
        const src = await download(photo.url)
        wx.previewImage({ current: src, urls: [src] })
      } catch (err) {
        wx.showToast({ title: messageFor(err), icon: 'none' })
      }
    },
    inspect() {
      const p = this.data.p
      if (p) wx.navigateTo({ url: `/pages/inspect/index?id=${p.id}&name=${encodeURIComponent(p.name)}` })
    },
    records() {
      const p = this.data.p
      if (p) wx.navigateTo({ url: `/pages/records/index?pharmacy=${p.id}&name=${encodeURIComponent(p.name)}` })
    },
    openRecord(e: WechatMiniprogram.BaseEvent) {
      wx.navigateTo({ url: `/pages/record/index?id=${e.currentTarget.dataset.id}` })
    },
    openAlerts() {
      wx.navigateTo({ url: `/pages/alerts/index?pharmacy=${this.data.id}` })
    },
    call() {
      const p = this.data.p
      if (p?.contact_phone) wx.makePhoneCall({ phoneNumber: p.contact_phone })
    },
  },
})

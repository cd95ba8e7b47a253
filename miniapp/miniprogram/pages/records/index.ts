/**
 * Registrations by date range (default today), newest first: the clerk's own
 * pharmacy, or — opened with `?pharmacy=ID` by an inspector — that pharmacy's.
 */
import { listRegistrations, type ListFilter } from '../../api/registrations'
import { pharmacyRegistrations } from '../../api/inspection'
import type { Registration, RegistrationPage } from '../../api/contract'
import { daysAgo, isoDate, shortTime } from '../../utils/dates'
import { messageFor } from '../../utils/errors'

const PAGE_SIZE = 20

interface Row extends Registration {
  drugs: string
  time: string
}

function row(r: Registration): Row {
  return { ...r, drugs: r.items.map((i) => `${i.drug_name}×${i.quantity}`).join('，'), time: shortTime(r.created_at) }
}

Component({
  data: {
    ranges: [
      { days: 0, label: '今天' },
      { days: 6, label: '近 7 天' },
      { days: 29, label: '近 30 天' },
    ],
    range: 0 as number,
    from: '',
    to: '',
    items: [] as Row[],
    total: 0,
    page: 1,
    loading: false,
    error: '',
    /** Set when an inspector looks at one pharmacy. */
    pharmacyId: '',
    pharmacyName: '',
  },
  methods: {
    onLoad(query: Record<string, string | undefined> = {}) {
      const today = isoDate()
      const pharmacyName = query.name ? decodeURIComponent(query.name) : ''
      const pharmacyId = query.pharmacy || ''
      // An inspector reviews a month at once; a clerk checks today's sales.
      this.setData({ from: pharmacyId ? daysAgo(29) : today, to: today, range: pharmacyId ? 29 : 0, pharmacyId, pharmacyName })
      if (pharmacyName) wx.setNavigationBarTitle?.({ title: `${pharmacyName} 登记` })
      void this.load(1)
    },
    onPullDownRefresh() {
      void this.load(1).then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      void this.more()
    },
    pickRange(e: WechatMiniprogram.BaseEvent) {
      const days = Number(e.currentTarget.dataset.days)
      this.setData({ range: days, from: daysAgo(days), to: isoDate() })
      void this.load(1)
    },
    onFrom(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ from: e.detail.value, range: -1 })
      void this.load(1)
    },
    onTo(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ to: e.detail.value, range: -1 })
      void this.load(1)
    },
    async more() {
      if (this.data.loading || this.data.items.length >= this.data.total) return
      await this.load(this.data.page + 1)
    },
    async load(page: number) {
      this.setData({ loading: true, error: '' })
      try {
        const f: ListFilter = { from: this.data.from, to: this.data.to, page, page_size: PAGE_SIZE }
        const r: RegistrationPage = this.data.pharmacyId
          ? await pharmacyRegistrations(this.data.pharmacyId, f)
          : await listRegistrations(f)
        const rows = r.items.map(row)
        this.setData({ items: page === 1 ? rows : this.data.items.concat(rows), total: r.total, page })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e: WechatMiniprogram.BaseEvent) {
      wx.navigateTo({ url: `/pages/record/index?id=${e.currentTarget.dataset.id}` })
    },
  },
})

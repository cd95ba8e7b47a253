/** Pharmacy search for inspectors: name, licence number or address; 30-day counts and open alerts. */
import { searchPharmacies } from '../../api/inspection'
import type { PharmacySummary } from '../../api/contract'
import { shortTime } from '../../utils/dates'
import { messageFor } from '../../utils/errors'

const PAGE_SIZE = 20

interface Row extends PharmacySummary {
  counts: string
  inspected: string
}

function row(p: PharmacySummary): Row {
  return {
    ...p,
    counts: `近30天 登记 ${p.registrations_30d} · 拒绝 ${p.refused_30d}`,
    inspected: p.last_inspected_at ? `上次检查 ${shortTime(p.last_inspected_at)}` : '未检查过',
  }
}

Component({
  data: {
    q: '',
    items: [] as Row[],
    total: 0,
    page: 1,
    loading: false,
    searched: false,
    error: '',
  },
  methods: {
    onLoad() {
      void this.load(1)
    },
    onPullDownRefresh() {
      void this.load(1).then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      void this.more()
    },
    onInput(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ q: e.detail.value })
    },
    /** Keyboard 搜索 or the clear icon: search at once. */
    search() {
      return this.load(1)
    },
    clear() {
      this.setData({ q: '' })
      return this.load(1)
    },
    async more() {
      if (this.data.loading || this.data.items.length >= this.data.total) return
      await this.load(this.data.page + 1)
    },
    async load(page: number) {
      this.setData({ loading: true, error: '' })
      try {
        const r = await searchPharmacies(this.data.q, page, PAGE_SIZE)
        const rows = r.items.map(row)
        this.setData({ items: page === 1 ? rows : this.data.items.concat(rows), total: r.total, page, searched: true })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e: WechatMiniprogram.BaseEvent) {
      wx.navigateTo({ url: `/pages/pharmacy/index?id=${e.currentTarget.dataset.id}` })
    },
  },
})

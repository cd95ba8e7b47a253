/** The pharmacy's registrations by date range (default today), newest first. */
import { listRegistrations } from '../../api/registrations'
import type { Registration } from '../../api/contract'
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
  },
  methods: {
    onLoad() {
      const today = isoDate()
      this.setData({ from: today, to: today })
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
        const r = await listRegistrations({ from: this.data.from, to: this.data.to, page, page_size: PAGE_SIZE })
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

/**
 * The district's alerts: open (default) or resolved, by kind, optionally one
 * pharmacy's (`?pharmacy=ID`); resolve one with a required note of what was done.
 */
import { ApiError } from '../../api/api-error'
import { listAlerts, resolveAlert, type AlertFilter } from '../../api/alerts'
import type { Alert, AlertKind, AlertStatus } from '../../api/contract'
import { ALERT_KINDS, detailText, kindLabel } from '../../utils/alert-kinds'
import { shortTime } from '../../utils/dates'
import { fieldMessages, messageFor } from '../../utils/errors'
import { showError, toast } from '../../utils/ui'

const PAGE_SIZE = 20
export const MAX_NOTE = 1000

interface Row {
  id: string
  kind: string
  pharmacy: string
  pharmacyId: string
  detail: string
  time: string
  open: boolean
  note: string
  resolvedAt: string
}

function row(a: Alert): Row {
  return {
    id: a.id,
    kind: kindLabel(a.kind),
    pharmacy: a.pharmacy_name || '',
    pharmacyId: a.pharmacy_id || '',
    detail: detailText(a.detail),
    time: shortTime(a.created_at),
    open: a.status === 'open',
    note: a.resolution_note || '',
    resolvedAt: a.resolved_at ? shortTime(a.resolved_at) : '',
  }
}

Component({
  data: {
    kinds: [{ value: '', label: '全部' }, ...ALERT_KINDS] as { value: AlertKind | ''; label: string }[],
    status: 'open' as AlertStatus,
    kind: '' as AlertKind | '',
    pharmacyId: '',
    items: [] as Row[],
    total: 0,
    page: 1,
    loading: false,
    error: '',
    /** The resolve dialog. */
    resolving: null as Row | null,
    note: '',
    noteError: '',
    busy: false,
  },
  methods: {
    onLoad(query: Record<string, string | undefined> = {}) {
      this.setData({ pharmacyId: query.pharmacy || '' })
      return this.load(1)
    },
    onPullDownRefresh() {
      void this.load(1).then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      void this.more()
    },
    pickStatus(e: WechatMiniprogram.BaseEvent) {
      this.setData({ status: e.currentTarget.dataset.value as AlertStatus })
      return this.load(1)
    },
    pickKind(e: WechatMiniprogram.BaseEvent) {
      this.setData({ kind: (e.currentTarget.dataset.value || '') as AlertKind | '' })
      return this.load(1)
    },
    showAllPharmacies() {
      this.setData({ pharmacyId: '' })
      return this.load(1)
    },
    async more() {
      if (this.data.loading || this.data.items.length >= this.data.total) return
      await this.load(this.data.page + 1)
    },
    async load(page: number) {
      this.setData({ loading: true, error: '' })
      const f: AlertFilter = { status: this.data.status, page, page_size: PAGE_SIZE }
      if (this.data.kind) f.kind = this.data.kind
      if (this.data.pharmacyId) f.pharmacy_id = this.data.pharmacyId
      try {
        const r = await listAlerts(f)
        const rows = r.items.map(row)
        this.setData({ items: page === 1 ? rows : this.data.items.concat(rows), total: r.total, page })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    openPharmacy(e: WechatMiniprogram.BaseEvent) {
      const id = e.currentTarget.dataset.id
      if (id) wx.navigateTo({ url: `/pages/pharmacy/index?id=${id}` })
    },
    startResolve(e: WechatMiniprogram.BaseEvent) {
      const r = this.data.items.find((x) => x.id === e.currentTarget.dataset.id)
      if (r) this.setData({ resolving: r, note: '', noteError: '' })
    },
    onNote(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ note: e.detail.value, noteError: '' })
    },
    cancelResolve() {
      this.setData({ resolving: null, note: '', noteError: '' })
    },
    onPopup(e: WechatMiniprogram.CustomEvent<{ visible: boolean }>) {
      if (!e.detail.visible) this.cancelResolve()
    },
    async resolve() {
      const a = this.data.resolving
      if (!a || this.data.busy) return
      const note = this.data.note.trim()
      if (!note) {
        this.setData({ noteError: '请填写处理说明（如：已约谈店长、已核实为正常购药）' })
        return
      }
      if (note.length > MAX_NOTE) {
        this.setData({ noteError: `处理说明最多 ${MAX_NOTE} 字` })
        return
      }
      this.setData({ busy: true })
      try {
        await resolveAlert(a.id, note)
        toast('已处理', 'success')
        this.setData({ resolving: null, note: '' })
        await this.load(1)
      } catch (err) {
        const fields = fieldMessages(err)
        if (fields.note) this.setData({ noteError: fields.note })
        else {
          await showError(err, '未能处理')
          // e.g. resolved by a colleague meanwhile: the list is stale.
          if (err instanceof ApiError) {
            this.setData({ resolving: null })
            await this.load(1)
          }
        }
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})

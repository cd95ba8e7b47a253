/** Home: the big buttons for the user's role, the pending-queue count and what needs the clerk's attention. */
import { logout } from '../../api/auth'
import type { User } from '../../api/contract'
import { attention, flushQueue, onQueueChange, pendingCount, removeQueued, type QueuedSale } from '../../utils/queue'
import { getUser, isInspector, isPharmacyStaff } from '../../utils/session'
import { confirmBox, toast } from '../../utils/ui'

const ROLE_LABELS: Record<string, string> = {
  clerk: '店员',
  pharmacy_manager: '店长',
  inspector: '区局检查人员',
  city_admin: '市局管理员',
}

let unsubscribe: (() => void) | null = null

Component({
  data: {
    user: {} as Partial<User>,
    roleLabel: '',
    isPharmacy: false,
    isManager: false,
    isInspector: false,
    pending: 0,
    attention: [] as QueuedSale[],
    flushing: false,
  },
  lifetimes: {
    attached() {
      unsubscribe = onQueueChange((q) => this.showQueue(q))
    },
    detached() {
      unsubscribe?.()
      unsubscribe = null
    },
  },
  methods: {
    onShow() {
      const user = getUser()
      if (!user) {
        wx.reLaunch({ url: '/pages/login/index' })
        return
      }
      this.setData({
        user,
        roleLabel: ROLE_LABELS[user.role] || user.role,
        isPharmacy: isPharmacyStaff(user),
        isManager: user.role === 'pharmacy_manager',
        isInspector: isInspector(user),
      })
      this.showQueue()
    },
    showQueue(q?: QueuedSale[]) {
      this.setData({ pending: pendingCount(q), attention: attention(q) })
    },
    async retryNow() {
      this.setData({ flushing: true })
      try {
        const r = await flushQueue()
        toast(r.pending ? `仍有 ${r.pending} 笔未提交，请检查网络` : `已提交 ${r.created.length} 笔`, r.pending ? 'none' : 'success')
      } finally {
        this.setData({ flushing: false })
        this.showQueue()
      }
    },
    rescan(e: WechatMiniprogram.BaseEvent) {
      wx.navigateTo({ url: `/pages/register/index?rescan=${e.currentTarget.dataset.key}` })
    },
    dismiss(e: WechatMiniprogram.BaseEvent) {
      removeQueued(String(e.currentTarget.dataset.key))
      this.showQueue()
    },
    goRegister() {
      wx.navigateTo({ url: '/pages/register/index' })
    },
    goRecords() {
      wx.navigateTo({ url: '/pages/records/index' })
    },
    goPharmacies() {
      wx.navigateTo({ url: '/pages/pharmacies/index' })
    },
    goAlerts() {
      wx.navigateTo({ url: '/pages/alerts/index' })
    },
    goStaff() {
      wx.navigateTo({ url: '/pages/staff/index' })
    },
    async logout() {
      const n = pendingCount()
      if (n > 0 && !(await confirmBox(`还有 ${n} 笔登记未提交，退出后需重新登录才能继续提交。确定退出？`, '退出'))) return
      await logout()
      wx.reLaunch({ url: '/pages/login/index' })
    },
  },
})

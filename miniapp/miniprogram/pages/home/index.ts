/**
 * Home: the big buttons for the user's role, what waits to be sent (sales
 * and inspections, with their counts) and what needs the user's attention.
 */
import { logout } from '../../api/auth'
import type { User } from '../../api/contract'
import { refusedDrafts, pendingDrafts, clearDraft } from '../../utils/inspection-draft'
import { flushAll, flushIfPending, onOutboxChange } from '../../utils/outbox'
import { refreshPolicy } from '../../utils/policy'
import { attention, pendingCount, removeQueued, type QueuedSale } from '../../utils/queue'
import { getUser, isInspector, isPharmacyStaff } from '../../utils/session'
import { confirmBox, toast } from '../../utils/ui'
import { whileAttached } from '../../utils/once'

const ROLE_LABELS: Record<string, string> = {
  clerk: '店员',
  pharmacy_manager: '店长',
  inspector: '区局检查人员',
  city_admin: '市局管理员',
}

interface DraftRow {
  pharmacyId: string
  name: string
  message: string
}


Component({
  data: {
    user: {} as Partial<User>,
    roleLabel: '',
    isPharmacy: false,
    isManager: false,
    isInspector: false,
    /** Sales waiting for the network. */
    pending: 0,
    /** Submitted inspections waiting for the network. */
    pendingInspections: 0,
    attention: [] as QueuedSale[],
    /** Inspections the server refused: to correct or discard. */
    refusedInspections: [] as DraftRow[],
    flushing: false,
  },
  lifetimes: whileAttached((page: { showQueue(): void }) => onOutboxChange(() => page.showQueue())),
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
      // Keep the city's sales rules fresh for the counter (used offline from storage).
      if (isPharmacyStaff(user)) void refreshPolicy()
      // Back on the home page: whatever still waits is tried again.
      return flushIfPending()
    },
    showQueue() {
      this.setData({
        pending: pendingCount(),
        pendingInspections: pendingDrafts().length,
        attention: attention(),
        refusedInspections: refusedDrafts().map((d) => ({
          pharmacyId: d.pharmacyId,
          name: d.pharmacyName || '检查记录',
          message: d.refused!.message,
        })),
      })
    },
    async retryNow() {
      if (this.data.flushing) return
      this.setData({ flushing: true })
      try {
        const left = await flushAll()
        const n = left.registrations + left.inspections
        toast(n ? `仍有 ${n} 条未提交，请检查网络后再试` : '已全部提交', n ? 'none' : 'success')
      } catch {
        toast('仍未提交，请检查网络后再试')
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
    /** A refused inspection: open the form with its message to correct it. */
    fixInspection(e: WechatMiniprogram.BaseEvent) {
      const { id, name } = e.currentTarget.dataset as { id: string; name: string }
      wx.navigateTo({ url: `/pages/inspect/index?id=${id}&name=${encodeURIComponent(name)}` })
    },
    async discardInspection(e: WechatMiniprogram.BaseEvent) {
      const { id, name } = e.currentTarget.dataset as { id: string; name: string }
      if (!(await confirmBox(`放弃 ${name} 的这条检查记录？已填写的内容将清除。`, '放弃'))) return
      clearDraft(id)
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
      const n = pendingCount() + pendingDrafts().length
      if (n > 0 && !(await confirmBox(`还有 ${n} 条记录未提交，退出后需重新登录才能继续提交。确定退出？`, '退出'))) return
      await logout()
      wx.reLaunch({ url: '/pages/login/index' })
    },
  },
})

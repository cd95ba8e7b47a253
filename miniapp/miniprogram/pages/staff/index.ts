/** A manager's staff: add a clerk (shows the invite code once), new invite code, remove. */
import { addClerk, listStaff, reinvite, removeStaff } from '../../api/staff'
import type { Invited, Staff } from '../../api/contract'
import { messageFor } from '../../utils/errors'
import { confirmBox, showError, toast } from '../../utils/ui'

Component({
  data: {
    staff: [] as Staff[],
    name: '',
    phone: '',
    busy: false,
    error: '',
    invite: null as { name: string; code: string } | null,
  },
  methods: {
    onLoad() {
      void this.load()
    },
    async load() {
      try {
        this.setData({ staff: await listStaff(), error: '' })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      }
    },
    onName(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ name: e.detail.value })
    },
    onPhone(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ phone: e.detail.value })
    },
    showInvite(r: Invited) {
      this.setData({ invite: { name: r.staff.display_name, code: r.invite_code ?? '' } })
    },
    async add() {
      if (this.data.busy || !this.data.name.trim()) return
      this.setData({ busy: true })
      try {
        let added = await addClerk(this.data.name, this.data.phone)
        // A retry answered long after the first try carries no code (the
        // server does not keep it): ask for a fresh one.
        if (!added.invite_code) added = await reinvite(added.staff.id)
        this.showInvite(added)
        this.setData({ name: '', phone: '' })
        await this.load()
      } catch (err) {
        await showError(err, '未能添加')
      } finally {
        this.setData({ busy: false })
      }
    },
    async reinvite(e: WechatMiniprogram.BaseEvent) {
      try {
        this.showInvite(await reinvite(String(e.currentTarget.dataset.id)))
      } catch (err) {
        await showError(err)
      }
    },
    async remove(e: WechatMiniprogram.BaseEvent) {
      const { id, name } = e.currentTarget.dataset as { id: string; name: string }
      if (!(await confirmBox(`移除 ${name}？其登录将立即失效。`, '移除'))) return
      try {
        await removeStaff(id)
        toast('已移除', 'success')
        await this.load()
      } catch (err) {
        await showError(err, '未能移除')
      }
    },
    copyInvite() {
      if (this.data.invite) wx.setClipboardData({ data: this.data.invite.code })
    },
  },
})

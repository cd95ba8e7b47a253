/**
 * Binds this WeChat account with an invite code. The bind token is single
 * use, so after a wrong code a fresh one is fetched silently and the clerk
 * simply types again.
 */
import { bind, signIn } from '../../api/auth'
import { ApiError } from '../../api/api-error'
import { messageFor } from '../../utils/errors'

Component({
  data: { bindToken: '', invite: '', busy: false, error: '' },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      this.setData({ bindToken: decodeURIComponent(query.bind_token || '') })
    },
    onInput(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ invite: e.detail.value, error: '' })
    },
    async bind() {
      const invite = this.data.invite.trim()
      if (!invite || this.data.busy) return
      this.setData({ busy: true, error: '' })
      try {
        await bind(this.data.bindToken, invite)
        wx.reLaunch({ url: '/pages/home/index' })
      } catch (err) {
        this.setData({ error: messageFor(err) })
        if (err instanceof ApiError) await this.renewBindToken()
      } finally {
        this.setData({ busy: false })
      }
    },
    async renewBindToken() {
      try {
        const r = await signIn()
        if (r.bound) wx.reLaunch({ url: '/pages/home/index' })
        else this.setData({ bindToken: r.bindToken })
      } catch {
        /* the next tap tries again with whatever token we have */
      }
    },
  },
})

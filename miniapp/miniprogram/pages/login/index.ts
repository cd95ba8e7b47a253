/**
 * Entry page: signs in with WeChat at once (no tap needed when it works).
 * Bound → home; unbound → the bind page with the single-use bind token.
 */
import { signIn } from '../../api/auth'
import { messageFor } from '../../utils/errors'

Component({
  data: { busy: false, error: '' },
  methods: {
    onLoad() {
      void this.signIn()
    },
    async signIn() {
      if (this.data.busy) return
      this.setData({ busy: true, error: '' })
      try {
        const r = await signIn()
        if (r.bound) wx.reLaunch({ url: '/pages/home/index' })
        else wx.redirectTo({ url: `/pages/bind/index?bind_token=${encodeURIComponent(r.bindToken)}` })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})

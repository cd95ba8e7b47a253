/** One registration, as the server shows it (buyer masked). */
import { getRegistration } from '../../api/registrations'
import type { Registration } from '../../api/contract'
import { shortTime } from '../../utils/dates'
import { messageFor } from '../../utils/errors'

const SOURCES: Record<string, string> = { id_card: '身份证', ss_card: '社保卡', manual: '手工录入' }

Component({
  data: { r: null as Registration | null, gender: '', source: '', time: '', error: '' },
  methods: {
    async onLoad(query: Record<string, string | undefined>) {
      try {
        const r = await getRegistration(query.id || '')
        this.setData({
          r,
          gender: r.buyer.gender === 'male' ? '男' : '女',
          source: SOURCES[r.source] || r.source,
          time: shortTime(r.created_at),
        })
      } catch (err) {
        this.setData({ error: messageFor(err) })
      }
    },
  },
})

/** Small wrappers so pages show messages the same way everywhere. */
import { messageFor } from './errors'

export function toast(title: string, icon: 'success' | 'none' = 'none'): void {
  wx.showToast({ title, icon, duration: 2500 })
}

/** A modal the clerk must acknowledge: used for refusals, which must not flash by. */
export function alertBox(content: string, title = '提示'): Promise<void> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, showCancel: false, confirmText: '知道了', complete: () => resolve() })
  })
}

export function confirmBox(content: string, confirmText = '确定'): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({ title: '请确认', content, confirmText, success: (r) => resolve(r.confirm), fail: () => resolve(false) })
  })
}

/** Card-reader failures (utils/card-reader.ts) carry their own Chinese message saying what to do. */
const READER_ERRORS = ['CardReaderError', 'NoReaderError']

export function showError(err: unknown, title = '未能完成'): Promise<void> {
  if (err instanceof Error && READER_ERRORS.includes(err.name)) return alertBox(err.message, title)
  return alertBox(messageFor(err), title)
}

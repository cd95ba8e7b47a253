import './api/auth' // installs the silent re-login used on 401
import { flushQueue, startAutoRetry } from './utils/queue'
import { getToken } from './utils/session'

App({
  onLaunch() {
    startAutoRetry()
  },
  onShow() {
    // Coming back to the app is the likeliest moment the signal is back.
    if (getToken()) void flushQueue()
  },
})

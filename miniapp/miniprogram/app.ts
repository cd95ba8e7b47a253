import './api/auth' // installs the silent re-login used on 401
import { flushIfPending, startAutoRetry } from './utils/outbox'

App({
  onLaunch() {
    startAutoRetry()
  },
  onShow() {
    // Coming back to the app is the likeliest moment the signal is back:
    // queued sales and submitted inspections go out again.
    void flushIfPending()
  },
})

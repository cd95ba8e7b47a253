/**
 * Everything waiting to reach the server — sales in the registration queue
 * (utils/queue.ts) and submitted inspection drafts (utils/inspection-draft.ts)
 * — is sent again by this one mechanism: when the network comes back, when
 * the app or the home page shows, and every minute while something waits.
 * Each keeps its own Idempotency-Key, so a retry never records twice.
 */
import { flushQueue, onQueueChange, pendingCount } from './queue'
import { flushDrafts, onDraftsChange, pendingDrafts } from './inspection-draft'
import { getToken } from './session'
import { QUEUE_RETRY_MS } from '../config'

export interface Pending {
  registrations: number
  inspections: number
}

export function pendingAll(): Pending {
  return { registrations: pendingCount(), inspections: pendingDrafts().length }
}

function anyPending(p: Pending = pendingAll()): boolean {
  return p.registrations + p.inspections > 0
}

/** Sends what waits in both queues (each stops at its first failure that is still a network one). */
export async function flushAll(): Promise<Pending> {
  if (pendingCount() > 0) await flushQueue()
  if (pendingDrafts().length > 0) await flushDrafts()
  return pendingAll()
}

/** Sends what waits, if signed in and anything does; never rejects. */
export function flushIfPending(): Promise<void> {
  if (!getToken() || !anyPending()) return Promise.resolve()
  return flushAll().then(
    () => undefined,
    () => undefined,
  )
}

/** Either queue changed (an entry added, sent, refused). */
export function onOutboxChange(fn: () => void): () => void {
  const offQueue = onQueueChange(() => fn())
  const offDrafts = onDraftsChange(fn)
  return () => {
    offQueue()
    offDrafts()
  }
}

let started = false
let timer: number | undefined

/** Retries when the network comes back and on a timer; app.onShow and the home page also call flushIfPending. */
export function startAutoRetry(): void {
  if (started) return
  started = true
  wx.onNetworkStatusChange((res) => {
    if (started && res.isConnected) void flushIfPending()
  })
  timer = setInterval(() => void flushIfPending(), QUEUE_RETRY_MS) as unknown as number
}

/** For tests: stop the timer; the network handler then does nothing. */
export function stopAutoRetry(): void {
  if (timer !== undefined) clearInterval(timer)
  timer = undefined
  started = false
}

/**
 * Registrations that could not reach the server wait here, in storage (so a
 * closed app or a dead phone battery loses nothing), and are sent again with
 * the SAME Idempotency-Key: if the first attempt did reach the server and only
 * its answer was lost, the server replays that answer and registers nothing
 * twice. A refusal is never retried; an expired scan asks for a re-scan.
 * utils/outbox.ts decides when to retry (network back, app shown, a timer).
 */
import { createRegistration } from '../api/registrations'
import { ApiError, isTransient } from '../api/api-error'
import type { Drug, NewRegistration, Registration } from '../api/contract'
import { messageFor } from './errors'
import { isoDateTime } from './dates'
import { singleFlight } from './once'

const STORAGE_KEY = 'yaojian.queue'

export type QueueStatus = 'pending' | 'needs_rescan' | 'refused'

/** A drug line as composed, kept so a re-scan can prefill the sale. */
export interface SaleLine {
  /** The drug's barcode: the line's key in the page's list (one line per product). */
  barcode?: string
  drug: Drug
  quantity: number
  batch_no: string
  trace_code: string
}

export interface Sale {
  key: string
  body: NewRegistration
  /** Masked buyer and item summary, for lists (never the full identity). */
  buyer: string
  items: string
  lines: SaleLine[]
}

export interface QueuedSale extends Sale {
  queuedAt: string
  attempts: number
  status: QueueStatus
  code?: string
  message?: string
}

export type SubmitResult =
  | { outcome: 'created'; registration: Registration }
  | { outcome: 'queued'; pending: number }

type Listener = (q: QueuedSale[]) => void
const listeners: Listener[] = []

export function loadQueue(): QueuedSale[] {
  const q = wx.getStorageSync(STORAGE_KEY) as QueuedSale[] | ''
  return Array.isArray(q) ? q : []
}

function saveQueue(q: QueuedSale[]): void {
  wx.setStorageSync(STORAGE_KEY, q)
  listeners.slice().forEach((fn) => fn(q))
}

function update(key: string, change: (s: QueuedSale) => QueuedSale | null): void {
  const q: QueuedSale[] = []
  for (const s of loadQueue()) {
    if (s.key !== key) q.push(s)
    else {
      const next = change(s)
      if (next) q.push(next)
    }
  }
  saveQueue(q)
}

export function pendingCount(q: QueuedSale[] = loadQueue()): number {
  return q.filter((s) => s.status === 'pending').length
}

/** Entries the clerk must act on: re-scan, or read a refusal. */
export function attention(q: QueuedSale[] = loadQueue()): QueuedSale[] {
  return q.filter((s) => s.status !== 'pending')
}

export function findQueued(key: string): QueuedSale | undefined {
  return loadQueue().find((s) => s.key === key)
}

/** Drops an entry (a refusal read, or a sale re-registered after a re-scan). */
export function removeQueued(key: string): void {
  update(key, () => null)
}

export function onQueueChange(fn: Listener): () => void {
  listeners.push(fn)
  return () => {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

/**
 * Sends a sale now. Network trouble (or a busy server) queues it and resolves
 * `queued`; a refusal rejects with the ApiError, nothing queued.
 */
export async function submitSale(sale: Sale): Promise<SubmitResult> {
  try {
    return { outcome: 'created', registration: await createRegistration(sale.body, sale.key) }
  } catch (err) {
    if (!isTransient(err)) throw err
    const q = loadQueue().filter((s) => s.key !== sale.key)
    q.push({ ...sale, queuedAt: isoDateTime(), attempts: 1, status: 'pending', message: messageFor(err) })
    saveQueue(q)
    return { outcome: 'queued', pending: pendingCount(q) }
  }
}

export interface FlushResult {
  created: Registration[]
  pending: number
}

/** Retries every pending sale, oldest first; one run at a time. */
export const flushQueue: () => Promise<FlushResult> = singleFlight(doFlush)

async function doFlush(): Promise<FlushResult> {
  const created: Registration[] = []
  for (const sale of loadQueue().filter((s) => s.status === 'pending')) {
    try {
      created.push(await createRegistration(sale.body, sale.key))
      removeQueued(sale.key)
    } catch (err) {
      if (isTransient(err)) {
        update(sale.key, (s) => ({ ...s, attempts: s.attempts + 1, message: messageFor(err) }))
        break // still offline (or server busy): the others would fail the same way
      }
      const code = err instanceof ApiError ? err.code : ''
      const status: QueueStatus = code === 'SCAN_TOKEN_INVALID' ? 'needs_rescan' : 'refused'
      const message = status === 'needs_rescan' ? '需重新扫描证件' : messageFor(err)
      update(sale.key, (s) => ({ ...s, attempts: s.attempts + 1, status, code, message }))
    }
  }
  return { created, pending: pendingCount() }
}

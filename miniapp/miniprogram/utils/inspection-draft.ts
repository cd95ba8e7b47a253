/**
 * An inspection being recorded, kept in storage per pharmacy so a dropped
 * signal or a closed app loses nothing. Its Idempotency-Key is created when
 * the form opens. Once the inspector taps submit the draft is `pending`: if
 * the network fails (uploading a photo or creating the inspection) it is sent
 * again automatically — when the network returns, when the app or a page
 * shows, and every minute (utils/outbox.ts, the same mechanism as the
 * registration queue) — until the server answers. Photos already uploaded
 * keep their keys; once the body has left the phone it is frozen (`sent`)
 * and every retry sends exactly that body with the same key, so if the first
 * attempt reached the server, the server answers with that inspection and
 * records nothing twice. A refusal is never retried: the draft stays, with
 * the message from utils/errors.ts, until the inspector corrects or discards it.
 */
import { createInspection, uploadPhoto } from '../api/inspection'
import { ApiError, NetworkError, isTransient } from '../api/api-error'
import type { Disposition, Inspection, InspectionResult, NewInspection } from '../api/contract'
import { fieldMessages, messageFor } from './errors'
import { isoDateTime } from './dates'
import { singleFlight } from './once'
import { uuid4 } from './uuid'

const PREFIX = 'yaojian.inspection.'
/** Pharmacy ids that have a draft, so drafts can be listed without a page open. */
const INDEX = 'yaojian.inspections'

export interface DraftPhoto {
  /** Local temp file (shown as the thumbnail while composing). */
  path: string
  /** Key from `POST /inspection/photos` once uploaded. */
  key?: string
  status: 'uploading' | 'done' | 'failed'
  /** Failed for network reasons (retry later) rather than refused (retake). */
  network?: boolean
  message?: string
}

export interface Refusal {
  code: string
  /** What the inspector reads: the table message and what to do. */
  message: string
  /** Field → message, for the form. */
  fields: Record<string, string>
}

export interface Draft {
  pharmacyId: string
  /** For lists (home) without a request. */
  pharmacyName?: string
  key: string
  result: InspectionResult | ''
  findings: string
  disposition: Disposition | ''
  photos: DraftPhoto[]
  /** The body of an attempt whose answer was lost: retries send exactly this. */
  sent?: NewInspection
  /** Submit was tapped and the server has not answered yet: sent again automatically. */
  pending?: boolean
  /** When submit was tapped: the inspection's time, however late it reaches the server. */
  submittedAt?: string
  attempts?: number
  /** Why the last attempt did not get through, for the pending notice. */
  message?: string
  /** The server said no: shown until the inspector corrects the form (never retried). */
  refused?: Refusal
}

export type SendResult =
  | { outcome: 'created'; inspection: Inspection }
  | { outcome: 'unsent'; error: unknown; message: string }
  | { outcome: 'refused'; error: unknown; message: string }

type Listener = () => void
const listeners: Listener[] = []

function notify(): void {
  listeners.slice().forEach((fn) => fn())
}

export function onDraftsChange(fn: Listener): () => void {
  listeners.push(fn)
  return () => {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

function index(): string[] {
  const ids = wx.getStorageSync(INDEX) as string[] | ''
  return Array.isArray(ids) ? ids : []
}

/** The stored draft of a pharmacy, as it is (null when there is none). */
export function loadDraft(pharmacyId: string): Draft | null {
  const d = wx.getStorageSync(PREFIX + pharmacyId) as Draft | ''
  return d && d.key ? d : null
}

/** The pharmacy's open draft, or a new one with a fresh key. */
export function openDraft(pharmacyId: string, pharmacyName = ''): Draft {
  const d = loadDraft(pharmacyId)
  if (d) {
    // An upload cut off by closing the app is retried at submit.
    const photos = d.photos.map((p) => (p.status === 'uploading' ? { ...p, status: 'failed' as const, network: true } : p))
    return { ...d, pharmacyName: d.pharmacyName || pharmacyName, photos }
  }
  return { pharmacyId, pharmacyName, key: uuid4(), result: '', findings: '', disposition: '', photos: [] }
}

export function saveDraft(d: Draft): void {
  wx.setStorageSync(PREFIX + d.pharmacyId, d)
  const ids = index()
  if (!ids.includes(d.pharmacyId)) wx.setStorageSync(INDEX, ids.concat(d.pharmacyId))
  notify()
}

export function clearDraft(pharmacyId: string): void {
  wx.removeStorageSync(PREFIX + pharmacyId)
  wx.setStorageSync(INDEX, index().filter((id) => id !== pharmacyId))
  notify()
}

export function listDrafts(): Draft[] {
  return index().map(loadDraft).filter((d): d is Draft => !!d)
}

/** Submitted drafts waiting for the network. */
export function pendingDrafts(drafts: Draft[] = listDrafts()): Draft[] {
  return drafts.filter((d) => d.pending && !d.refused)
}

/** Drafts the server refused: the inspector must correct or discard them. */
export function refusedDrafts(drafts: Draft[] = listDrafts()): Draft[] {
  return drafts.filter((d) => !!d.refused)
}

export function bodyOf(d: Draft, inspectedAt: string): NewInspection {
  return {
    result: d.result as InspectionResult,
    findings: d.findings.trim(),
    disposition: d.disposition as Disposition,
    photo_keys: d.photos.filter((p) => p.key).map((p) => p.key!),
    inspected_at: inspectedAt,
  }
}

/**
 * The inspector tapped submit: the draft becomes pending and is sent. A body
 * already sent without an answer is kept as it was (retries never change it).
 */
export function submitDraft(d: Draft, now: string = isoDateTime()): Promise<SendResult> {
  const stored = loadDraft(d.pharmacyId)
  const next: Draft = stored?.sent
    ? { ...stored, pending: true }
    : { ...d, pending: true, refused: undefined, message: undefined, submittedAt: (stored?.pending && stored.submittedAt) || now }
  saveDraft(next)
  return sendDraft(d.pharmacyId).then((r) => r || { outcome: 'unsent', error: null, message: '' })
}

/** Back to editing a submitted draft whose body has not left the phone yet (e.g. a photo did not upload). */
export function reopenDraft(pharmacyId: string): Draft | null {
  const d = loadDraft(pharmacyId)
  if (!d || d.sent) return d
  const next = { ...d, pending: false, message: undefined }
  saveDraft(next)
  return next
}

const inFlight = new Map<string, Promise<SendResult | null>>()

/** Sends a pending draft; one attempt per pharmacy at a time. Null when it has nothing to send. */
export function sendDraft(pharmacyId: string): Promise<SendResult | null> {
  let p = inFlight.get(pharmacyId)
  if (!p) {
    p = doSend(pharmacyId).finally(() => inFlight.delete(pharmacyId))
    inFlight.set(pharmacyId, p)
  }
  return p
}

/** Why an attempt did not get through, in a few words (the notice says what happens next). */
function cause(err: unknown): string {
  if (err instanceof NetworkError) return err.timeout ? '网络超时' : '网络不通'
  return '服务器暂时无法处理'
}

function patch(pharmacyId: string, change: (d: Draft) => Draft): Draft | null {
  const d = loadDraft(pharmacyId)
  if (!d) return null // discarded meanwhile
  const next = change(d)
  saveDraft(next)
  return next
}

function setPhoto(d: Draft, path: string, change: Partial<DraftPhoto>): Draft {
  return { ...d, photos: d.photos.map((p) => (p.path === path ? { ...p, ...change } : p)) }
}

function unsent(pharmacyId: string, err: unknown, message: string, photo?: string): SendResult {
  patch(pharmacyId, (d) => {
    const next = photo ? setPhoto(d, photo, { status: 'failed', network: true, message: '上传失败，点此重试' }) : d
    return { ...next, attempts: (d.attempts || 0) + 1, message }
  })
  return { outcome: 'unsent', error: err, message }
}

/** Refused: nothing was recorded. The corrected form is another request, so it gets its own key. */
function refused(pharmacyId: string, err: unknown, message: string, fields: Record<string, string>): SendResult {
  const code = err instanceof ApiError ? err.code : ''
  patch(pharmacyId, (d) => ({
    ...d, sent: undefined, key: uuid4(), pending: false, submittedAt: undefined, message: undefined,
    attempts: (d.attempts || 0) + 1, refused: { code, message, fields },
  }))
  return { outcome: 'refused', error: err, message }
}

async function doSend(pharmacyId: string): Promise<SendResult | null> {
  let d = loadDraft(pharmacyId)
  if (!d || !d.pending || d.refused) return null
  if (!d.sent) {
    // Photos not yet uploaded (taken offline, or failed) go first: the inspection names their keys.
    for (const photo of d.photos.filter((p) => p.status !== 'done' || !p.key)) {
      try {
        const ref = await uploadPhoto(photo.path)
        d = patch(pharmacyId, (x) => setPhoto(x, photo.path, { status: 'done', key: ref.key, network: undefined, message: undefined }))
        if (!d) return null
      } catch (err) {
        if (isTransient(err)) {
          return unsent(pharmacyId, err, `${cause(err)}，照片未能上传：检查记录已保存，网络恢复后自动提交；也可稍后点“立即重新提交”`, photo.path)
        }
        const why = messageFor(err)
        patch(pharmacyId, (x) => setPhoto(x, photo.path, { status: 'failed', network: false, message: why }))
        return refused(pharmacyId, err, `照片未能上传：${why}；处理后请重新提交`, {})
      }
    }
    const sent = bodyOf(d, d.submittedAt || isoDateTime())
    d = patch(pharmacyId, (x) => ({ ...x, sent }))
    if (!d) return null
  }
  try {
    const inspection = await createInspection(pharmacyId, d.sent!, d.key)
    clearDraft(pharmacyId)
    return { outcome: 'created', inspection }
  } catch (err) {
    if (isTransient(err)) {
      return unsent(pharmacyId, err, `${cause(err)}，未收到服务器回复：检查记录已保存，网络恢复后自动重新提交（不会重复记录）；也可稍后点“立即重新提交”`)
    }
    return refused(pharmacyId, err, messageFor(err), fieldMessages(err))
  }
}

export interface DraftFlush {
  created: Inspection[]
  pending: number
}

/** Sends every pending draft, one at a time; stops at the first that still cannot get through. */
export const flushDrafts: () => Promise<DraftFlush> = singleFlight(async () => {
  const created: Inspection[] = []
  for (const d of pendingDrafts()) {
    const r = await sendDraft(d.pharmacyId)
    if (r?.outcome === 'created') created.push(r.inspection)
    if (r?.outcome === 'unsent') break // still offline: the others would fail the same way
  }
  return { created, pending: pendingDrafts().length }
})

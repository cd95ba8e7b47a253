/**
 * An inspection being recorded, kept in storage per pharmacy so a dropped
 * signal or a closed app loses nothing. Its Idempotency-Key is created when
 * the form opens; once a submit has left the phone without an answer, its
 * body is frozen (`sent`) and every retry sends exactly that body with the
 * same key — if the first attempt reached the server, the server answers
 * with that inspection and records nothing twice.
 */
import { createInspection } from '../api/inspection'
import { isTransient } from '../api/api-error'
import type { Disposition, Inspection, InspectionResult, NewInspection } from '../api/contract'
import { uuid4 } from './uuid'

const PREFIX = 'yaojian.inspection.'

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

export interface Draft {
  pharmacyId: string
  key: string
  result: InspectionResult | ''
  findings: string
  disposition: Disposition | ''
  photos: DraftPhoto[]
  /** The body of an attempt whose answer was lost: retries send exactly this. */
  sent?: NewInspection
}

export type SubmitResult = { outcome: 'created'; inspection: Inspection } | { outcome: 'unsent'; error: unknown }

/** The pharmacy's open draft, or a new one with a fresh key. */
export function openDraft(pharmacyId: string): Draft {
  const d = wx.getStorageSync(PREFIX + pharmacyId) as Draft | ''
  if (d && d.key) {
    // An upload cut off by closing the app is retried at submit.
    return { ...d, photos: d.photos.map((p) => (p.status === 'uploading' ? { ...p, status: 'failed' } : p)) }
  }
  return { pharmacyId, key: uuid4(), result: '', findings: '', disposition: '', photos: [] }
}

export function saveDraft(d: Draft): void {
  wx.setStorageSync(PREFIX + d.pharmacyId, d)
}

export function clearDraft(pharmacyId: string): void {
  wx.removeStorageSync(PREFIX + pharmacyId)
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
 * Sends the draft (its frozen body when a previous attempt went unanswered).
 * Network trouble keeps the draft with its key and answers `unsent`; a
 * refusal is thrown (the inspector corrects the form, which unfreezes it).
 */
export async function submitDraft(d: Draft, inspectedAt: string): Promise<SubmitResult> {
  const body = d.sent || bodyOf(d, inspectedAt)
  d.sent = body
  saveDraft(d)
  try {
    const inspection = await createInspection(d.pharmacyId, body, d.key)
    clearDraft(d.pharmacyId)
    return { outcome: 'created', inspection }
  } catch (err) {
    if (isTransient(err)) return { outcome: 'unsent', error: err }
    // Refused: nothing was recorded. The corrected form is another request,
    // so it gets its own key (the server may keep the refusal under the old one).
    d.sent = undefined
    d.key = uuid4()
    saveDraft(d)
    throw err
  }
}

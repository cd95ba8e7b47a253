/** The district side: find a pharmacy, see it on site, record an inspection, upload its photos. */
import { call, upload } from './request'
import type { Inspection, NewInspection, PharmacyDetail, PharmacyPage, PhotoRef, RegistrationPage } from './contract'

export function searchPharmacies(q: string, page = 1, pageSize = 20): Promise<PharmacyPage> {
  return call({ method: 'get', path: '/inspection/pharmacies', query: { q: q.trim() || undefined, page, page_size: pageSize } })
}

export function getPharmacy(id: string): Promise<PharmacyDetail> {
  return call({ method: 'get', path: '/inspection/pharmacies/{id}', params: { id } })
}

export interface RangeFilter {
  from?: string
  to?: string
  page?: number
  page_size?: number
}

export function pharmacyRegistrations(id: string, f: RangeFilter): Promise<RegistrationPage> {
  return call({ method: 'get', path: '/inspection/pharmacies/{id}/registrations', params: { id }, query: { ...f } })
}

/**
 * The key is created when the form opens and sent with every attempt, so a
 * retry after a lost answer returns the first inspection instead of a second.
 */
export function createInspection(pharmacyId: string, body: NewInspection, idempotencyKey: string): Promise<Inspection> {
  return call({
    method: 'post',
    path: '/inspection/pharmacies/{id}/inspections',
    params: { id: pharmacyId },
    body,
    headers: { 'Idempotency-Key': idempotencyKey },
  })
}

/** One photo (JPEG or PNG, at most 10 MiB) → its key for `photo_keys` and its (auth-only) URLs. */
export function uploadPhoto(filePath: string): Promise<PhotoRef> {
  return upload('/inspection/photos', filePath, 'image')
}

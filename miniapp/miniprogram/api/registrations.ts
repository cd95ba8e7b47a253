/** Sales registrations: create (idempotent), list by date, one by id. */
import { call } from './request'
import type { NewRegistration, Registration, RegistrationPage } from './contract'

/**
 * The key is created when the sale is composed and sent with every attempt,
 * so a retry after a lost answer returns the first registration instead of
 * creating a second one.
 */
export function createRegistration(body: NewRegistration, idempotencyKey: string): Promise<Registration> {
  return call({
    method: 'post',
    path: '/registrations',
    body,
    headers: { 'Idempotency-Key': idempotencyKey },
  })
}

export interface ListFilter {
  from?: string
  to?: string
  page?: number
  page_size?: number
}

export function listRegistrations(f: ListFilter): Promise<RegistrationPage> {
  return call({ method: 'get', path: '/registrations', query: { ...f } })
}

export function getRegistration(id: string): Promise<Registration> {
  return call({ method: 'get', path: '/registrations/{id}', params: { id } })
}

/** The sales rules in force in this city (`GET /policy`), so the counter can explain them before submit. */
import { call } from './request'
import type { SalesPolicy } from './contract'

export function fetchPolicy(): Promise<SalesPolicy> {
  return call({ method: 'get', path: '/policy' })
}

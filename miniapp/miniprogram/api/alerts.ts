/** Alerts of the inspector's district: list by status and kind, resolve with a note. */
import { call } from './request'
import type { Alert, AlertKind, AlertPage, AlertStatus } from './contract'

export interface AlertFilter {
  status?: AlertStatus
  kind?: AlertKind
  pharmacy_id?: string
  page?: number
  page_size?: number
}

export function listAlerts(f: AlertFilter): Promise<AlertPage> {
  return call({ method: 'get', path: '/alerts', query: { ...f } })
}

export function resolveAlert(id: string, note: string): Promise<Alert> {
  return call({ method: 'post', path: '/alerts/{id}/resolve', params: { id }, body: { note: note.trim() } })
}

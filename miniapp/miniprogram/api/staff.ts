/** A manager's staff list: add a clerk (answers an invite code), new invite, remove. */
import { call } from './request'
import type { Invited, Staff } from './contract'

export function listStaff(): Promise<Staff[]> {
  return call({ method: 'get', path: '/pharmacy/staff' })
}

export function addClerk(displayName: string, phone?: string): Promise<Invited> {
  return call({
    method: 'post',
    path: '/pharmacy/staff',
    body: { display_name: displayName.trim(), phone: phone?.trim() || undefined },
  })
}

export function reinvite(id: string): Promise<Invited> {
  return call({ method: 'post', path: '/pharmacy/staff/{id}/invite', params: { id } })
}

export async function removeStaff(id: string): Promise<void> {
  await call({ method: 'delete', path: '/pharmacy/staff/{id}', params: { id } })
}

/** The signed-in session, kept in storage so it survives the app being closed. */
import type { User } from '../api/contract'

const TOKEN = 'yaojian.token'
const USER = 'yaojian.user'

export function getToken(): string {
  return (wx.getStorageSync(TOKEN) as string) || ''
}

export function getUser(): User | null {
  return (wx.getStorageSync(USER) as User) || null
}

export function saveSession(token: string, user?: User): void {
  wx.setStorageSync(TOKEN, token)
  if (user) wx.setStorageSync(USER, user)
}

export function clearSession(): void {
  wx.removeStorageSync(TOKEN)
  wx.removeStorageSync(USER)
}

export function isPharmacyStaff(user: User | null): boolean {
  return !!user && (user.role === 'clerk' || user.role === 'pharmacy_manager')
}

/** District inspectors (and city admins, who see every district) use the district side. */
export function isInspector(user: User | null): boolean {
  return !!user && (user.role === 'inspector' || user.role === 'city_admin')
}

/** The console's pages and who may open them (SPEC §5 guards). */
import type { Component } from 'vue'
import {
  ChartLineIcon,
  FileSearchIcon,
  HistoryIcon,
  NotificationIcon,
  ViewListIcon,
  ShopIcon,
  UsergroupIcon,
} from 'tdesign-icons-vue-next'
import type { Role } from '@shared/session'

export interface MenuEntry {
  path: string
  name: string
  title: string
  icon: Component
  roles: readonly Role[]
}

const ADMIN = ['city_admin'] as const
const READERS = ['city_admin', 'inspector'] as const

export const MENU: readonly MenuEntry[] = [
  { path: '/registrations', name: 'registrations', title: '销售登记', icon: FileSearchIcon, roles: READERS },
  { path: '/alerts', name: 'alerts', title: '预警', icon: NotificationIcon, roles: READERS },
  { path: '/pharmacies', name: 'pharmacies', title: '药店', icon: ShopIcon, roles: READERS },
  { path: '/drugs', name: 'drugs', title: '药品', icon: ViewListIcon, roles: ADMIN },
  { path: '/users', name: 'users', title: '用户', icon: UsergroupIcon, roles: ADMIN },
  { path: '/audit', name: 'audit', title: '审计日志', icon: HistoryIcon, roles: ADMIN },
  { path: '/sync', name: 'sync', title: '数据同步', icon: ChartLineIcon, roles: ADMIN },
]

/** Roles that may use the console at all. */
export const CONSOLE_ROLES: readonly Role[] = READERS

export function menuFor(role: Role | undefined): MenuEntry[] {
  return role ? MENU.filter((m) => m.roles.includes(role)) : []
}

/**
 * Routes under /console/ (the server answers index.html for any unknown path
 * there, so deep links and reloads work). A page needs a signed-in user of a
 * role its menu entry admits; a user with an initial or reset password goes
 * to the password change first (SPEC §3).
 */
import {
  createRouter,
  createWebHistory,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type RouterHistory,
} from 'vue-router'
import { clearSession, session } from '@shared/session'
import { CONSOLE_ROLES, MENU } from './menu'
import { homePath } from './nav'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import LoginPage from './pages/LoginPage.vue'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    title?: string
    roles?: readonly string[]
  }
}

const PAGES: Record<string, () => Promise<unknown>> = {
  registrations: () => import('./pages/RegistrationsPage.vue'),
  alerts: () => import('./pages/AlertsPage.vue'),
  pharmacies: () => import('./pages/PharmaciesPage.vue'),
  drugs: () => import('./pages/DrugsPage.vue'),
  users: () => import('./pages/UsersPage.vue'),
  audit: () => import('./pages/AuditPage.vue'),
  sync: () => import('./pages/SyncPage.vue'),
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: LoginPage, meta: { public: true, title: '登录' } },
  {
    path: '/password',
    name: 'password',
    component: () => import('./pages/ChangePasswordPage.vue'),
    meta: { title: '修改密码' },
  },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', name: 'home', redirect: () => homePath() },
      ...MENU.map((m) => ({
        path: m.path.slice(1),
        name: m.name,
        component: PAGES[m.name] as RouteRecordRaw['component'] & object,
        meta: { title: m.title, roles: m.roles },
      })),
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./pages/NotFoundPage.vue'),
        meta: { title: '页面不存在' },
      },
    ],
  },
]

export function createConsoleRouter(history: RouterHistory = createWebHistory('/console/')) {
  const r = createRouter({ history, routes })
  r.beforeEach((to): RouteLocationRaw | true => {
    const user = session.user
    if (to.meta.public) return true
    if (!user || !session.token) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
    if (!CONSOLE_ROLES.includes(user.role)) {
      clearSession()
      return { name: 'login', query: { denied: '1' } }
    }
    if (user.must_change_password && to.name !== 'password') {
      return { name: 'password', query: { redirect: to.fullPath } }
    }
    if (to.meta.roles && !to.meta.roles.includes(user.role)) return homePath()
    return true
  })
  r.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · 药监管理后台` : '药监管理后台'
  })
  return r
}

export const router = createConsoleRouter()

/** Where to send the signed-in user (kept apart from router.ts so pages can use it without an import cycle). */
import { session } from '@shared/session'
import { menuFor } from './menu'

/** The first page the signed-in user may open. */
export function homePath(): string {
  return menuFor(session.user?.role)[0]?.path ?? '/login'
}

/** Where to go after signing in: the page asked for, if it is one of ours. */
export function redirectTarget(q: unknown): string {
  const s = typeof q === 'string' ? q : ''
  return s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/login') ? s : homePath()
}

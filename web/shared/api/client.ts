/**
 * The typed API client: openapi-fetch over the generated `paths`, with
 *
 * - `Authorization: Bearer <token>` on every call but the public sign-ins;
 * - a 401 on a call that carried a token ("the session expired mid-form")
 *   handed to the app's sign-in-again handler (a dialog over the page, which
 *   keeps the route and every form as they are); once the user has signed in
 *   again the very same request is sent again with the new token, so the
 *   caller just sees its answer. If the user gives up, the caller gets the
 *   401 as an ApiError and its page state stays untouched;
 * - a 403 PASSWORD_CHANGE_REQUIRED reported to the app (forced change form);
 * - `call()` turning any non-2xx answer into an ApiError and a failed
 *   connection into a NetworkError.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import { ApiError, NetworkError, isAbort } from './api-error'
import type { paths } from './schema'
import { token } from '../session'

export const API_BASE = '/api/v1'

/** Operations that take no token (SPEC §3: the public list). */
const PUBLIC_PATHS = new Set<string>(['/auth/login', '/auth/wechat/login', '/auth/wechat/bind'])

type ExpiredHandler = () => Promise<boolean>
let expiredHandler: ExpiredHandler | null = null
let reauthInFlight: Promise<boolean> | null = null
let passwordChangeHandler: (() => void) | null = null

/**
 * Registers what to do when a signed-in call answers 401: resolve `true` once
 * the user has signed in again (the call is then repeated), `false` to give up.
 * Concurrent 401s share one prompt. Returns a function that unregisters it.
 */
export function onSessionExpired(handler: ExpiredHandler): () => void {
  expiredHandler = handler
  return () => {
    if (expiredHandler === handler) expiredHandler = null
  }
}

/** Registers what to do on 403 PASSWORD_CHANGE_REQUIRED (go to the change form). */
export function onPasswordChangeRequired(handler: () => void): () => void {
  passwordChangeHandler = handler
  return () => {
    if (passwordChangeHandler === handler) passwordChangeHandler = null
  }
}

function reauthenticate(): Promise<boolean> {
  if (!expiredHandler) return Promise.resolve(false)
  if (!reauthInFlight) {
    reauthInFlight = expiredHandler()
      .catch(() => false)
      .finally(() => {
        reauthInFlight = null
      })
  }
  return reauthInFlight
}

/** Read at call time, so tests (and the browser) can replace `fetch`. */
const doFetch = (request: Request): Promise<Response> => globalThis.fetch(request)

/** Per request id: the token it was sent with and an unread copy to send again. */
const sent = new Map<string, { token: string; copy: Request }>()

export const authMiddleware: Middleware = {
  onRequest({ request, schemaPath, id }) {
    if (PUBLIC_PATHS.has(schemaPath)) return undefined
    const t = token()
    if (!t) return undefined
    request.headers.set('Authorization', `Bearer ${t}`)
    sent.set(id, { token: t, copy: request.clone() })
    return request
  },
  async onResponse({ response, id }) {
    const s = sent.get(id)
    sent.delete(id)
    if (!s) return undefined
    if (response.status === 401) {
      // Another call may already have signed in again while this one was on its way.
      const now = token()
      const ok = now && now !== s.token ? true : await reauthenticate()
      const fresh = token()
      if (!ok || !fresh || fresh === s.token) return undefined
      const again = new Request(s.copy)
      again.headers.set('Authorization', `Bearer ${fresh}`)
      return doFetch(again)
    }
    if (response.status === 403 && passwordChangeHandler) {
      const body = await response
        .clone()
        .json()
        .catch(() => null)
      if (body && body.code === 'PASSWORD_CHANGE_REQUIRED') passwordChangeHandler()
    }
    return undefined
  },
  onError({ id }) {
    sent.delete(id)
    return undefined
  },
}

/**
 * `/api/v1` on this page's origin. Spelled out absolutely because a Request
 * outside a document (tests under Node) cannot resolve a relative URL; in the
 * browser the two are the same.
 */
function baseUrl(): string {
  const origin = typeof location !== 'undefined' ? location.origin : ''
  return origin && origin !== 'null' ? `${origin}${API_BASE}` : API_BASE
}

export const api = createClient<paths>({ baseUrl: baseUrl(), fetch: doFetch })
api.use(authMiddleware)

type Answer<T> = { data?: T; error?: unknown; response: Response }

/**
 * Awaits an openapi-fetch call and returns its data, or throws: ApiError for
 * any non-2xx answer (with code, title, field errors, Retry-After),
 * NetworkError when no answer came, the AbortError itself when cancelled.
 */
export async function call<T>(pending: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>
  try {
    answer = await pending
  } catch (e) {
    if (isAbort(e)) throw e
    throw new NetworkError(e instanceof Error ? e.message : String(e))
  }
  if (!answer.response.ok) throw ApiError.fromResponse(answer.response, answer.error)
  return answer.data as T
}

/**
 * The one way to talk to the server: `wx.request` / `wx.uploadFile` wrapped in
 * promises that add the bearer token, resolve with the typed success body and
 * reject with an ApiError (the server answered) or a NetworkError (it did not).
 * A 401 on a signed-in call signs in again once (WeChat login is silent) and
 * repeats the call: tokens live 2 hours, a clerk's shift is longer.
 */
import { API_BASE, REQUEST_TIMEOUT_MS } from '../config'
import { ApiError, LocalFileError, NetworkError } from './api-error'
import type { Body, Method, Ok, Path } from './contract'
import { getToken } from '../utils/session'

export interface CallOptions<P extends Path, M extends Method> {
  method: M
  path: P
  /** Values for `{name}` placeholders in the path. */
  params?: Record<string, string>
  query?: Record<string, string | number | undefined>
  body?: Body<P, M>
  headers?: Record<string, string>
  /** Send the bearer token and sign in again on 401 (default true). */
  auth?: boolean
}

/** Signs in again silently; resolves true when a new token is stored. */
type Relogin = () => Promise<boolean>
let relogin: Relogin | null = null
let reloginInFlight: Promise<boolean> | null = null

/** Installed by `api/auth.ts` (kept as a hook so this module does not import it). */
export function setRelogin(fn: Relogin | null): void {
  relogin = fn
}

export function url(path: string, params?: Record<string, string>, query?: CallOptions<Path, Method>['query']): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name]
    if (v === undefined) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(v)
  })
  const qs = Object.keys(query || {})
    .filter((k) => query![k] !== undefined && query![k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(query![k]))}`)
    .join('&')
  return `${API_BASE}${filled}${qs ? `?${qs}` : ''}`
}

export async function call<P extends Path, M extends Method>(opts: CallOptions<P, M>): Promise<Ok<P, M>> {
  const auth = opts.auth !== false
  try {
    return await send(opts, auth)
  } catch (err) {
    if (auth && err instanceof ApiError && err.status === 401 && (await signInAgain())) {
      return send(opts, auth)
    }
    throw err
  }
}

/** Multipart upload of one file (field `name`), e.g. a card photo to `/scan/id-card`. */
export async function upload<P extends Path>(path: P, filePath: string, name = 'image'): Promise<Ok<P, 'post'>> {
  try {
    return await sendFile(path, filePath, name)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && (await signInAgain())) {
      return sendFile(path, filePath, name)
    }
    throw err
  }
}

/**
 * A file the server serves only to signed-in callers (inspection photos: an
 * `<image src>` cannot send the bearer token), downloaded with it → a temp
 * file path to show. `serverUrl` is as the server gives it (`/api/v1/...`).
 */
export async function download(serverUrl: string): Promise<string> {
  try {
    return await fetchFile(serverUrl)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && (await signInAgain())) return fetchFile(serverUrl)
    throw err
  }
}

/** A server-relative URL (`/api/v1/inspection/photos/…`) made absolute against API_BASE's origin. */
export function absoluteUrl(serverUrl: string): string {
  if (/^https?:\/\//.test(serverUrl)) return serverUrl
  const origin = /^https?:\/\/[^/]+/.exec(API_BASE)![0]
  return serverUrl.startsWith('/') ? `${origin}${serverUrl}` : `${API_BASE}/${serverUrl}`
}

function fetchFile(serverUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: absoluteUrl(serverUrl),
      header: authHeader(true),
      timeout: REQUEST_TIMEOUT_MS,
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.tempFilePath)
        else reject(ApiError.fromResponse(res.statusCode, undefined))
      },
      fail: (e) => reject(new NetworkError(e.errMsg)),
    })
  })
}

function authHeader(auth: boolean): Record<string, string> {
  const token = auth ? getToken() : ''
  return token ? { Authorization: `Bearer ${token}` } : {}
}

function send<P extends Path, M extends Method>(opts: CallOptions<P, M>, auth: boolean): Promise<Ok<P, M>> {
  return new Promise((resolve, reject) => {
    wx.request({
      url: url(opts.path, opts.params, opts.query),
      method: opts.method.toUpperCase() as 'GET',
      data: opts.body as WechatMiniprogram.IAnyObject | undefined,
      header: { 'Content-Type': 'application/json', ...authHeader(auth), ...opts.headers },
      timeout: REQUEST_TIMEOUT_MS,
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.data as Ok<P, M>)
        else reject(ApiError.fromResponse(res.statusCode, res.data, res.header as Record<string, string>))
      },
      fail: (e) => reject(new NetworkError(e.errMsg)),
    })
  })
}

function sendFile<P extends Path>(path: P, filePath: string, name: string): Promise<Ok<P, 'post'>> {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: url(path),
      filePath,
      name,
      header: authHeader(true),
      timeout: REQUEST_TIMEOUT_MS,
      success: (res) => {
        // uploadFile hands the body over as text.
        let data: unknown = res.data
        try {
          data = JSON.parse(res.data)
        } catch {
          /* not JSON: keep the text */
        }
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(data as Ok<P, 'post'>)
        else reject(ApiError.fromResponse(res.statusCode, data))
      },
      fail: (e) => reject(LocalFileError.matches(e.errMsg) ? new LocalFileError(e.errMsg) : new NetworkError(e.errMsg)),
    })
  })
}

/** One sign-in shared by all calls that got 401 at the same moment. */
async function signInAgain(): Promise<boolean> {
  if (!relogin) return false
  if (!reloginInFlight) {
    reloginInFlight = relogin().finally(() => {
      reloginInFlight = null
    })
  }
  try {
    return await reloginInFlight
  } catch {
    return false
  }
}

/**
 * A fresh `wx` for each test: storage in memory (kept across a simulated app
 * restart on purpose), `wx.request`/`wx.uploadFile` routed to a FakeServer
 * with injectable network faults, and the UI calls recorded.
 */
import { API_BASE } from '../miniprogram/config'
import { FakeServer, type FakeRequest } from './fake-server'

/** `fail`: no connection; `timeout`: lost before the server; `timeout-after`: the server acted, the answer was lost. */
export type Fault = 'fail' | 'timeout' | 'timeout-after' | undefined

export interface WxMock {
  server: FakeServer
  storage: Map<string, string>
  /** Decides a fault per request (default none). */
  fault: (req: FakeRequest) => Fault
  wxCode: string
  scanResults: string[]
  photo: { path: string; size: number } | null
  /** Local files that are gone (temporary paths do not survive every restart). */
  missingFiles: Set<string>
  navigations: { api: string; url: string }[]
  downloads: { url: string; header: Record<string, string> }[]
  modals: string[]
  toasts: string[]
  modalConfirm: boolean
  clipboard: string
  networkHandlers: ((r: { isConnected: boolean; networkType: string }) => void)[]
  /** wx callbacks scheduled and not yet delivered (what `settle` waits for). */
  inflight: number
  wx: any
}

let current: WxMock | null = null

/**
 * Lets pending wx callbacks and the promise chains they start run, until the
 * mock has nothing in flight for `quiet` event-loop turns in a row. Counts
 * turns, never time; fails loudly if the app never goes quiet.
 */
export async function settle(quiet = 3): Promise<void> {
  let calm = 0
  for (let i = 0; i < 2000; i++) {
    await new Promise((r) => setTimeout(r, 0))
    if (!current || current.inflight === 0) {
      if (++calm >= quiet) return
    } else calm = 0
  }
  throw new Error('settle: wx calls still in flight after 2000 turns')
}

export function installWx(server = new FakeServer(), storage = new Map<string, string>()): WxMock {
  const m: WxMock = {
    server,
    storage,
    fault: () => undefined,
    wxCode: 'bound-code',
    scanResults: [],
    photo: { path: 'wxfile://card.jpg', size: 300000 },
    missingFiles: new Set(),
    navigations: [],
    downloads: [],
    modals: [],
    toasts: [],
    modalConfirm: true,
    clipboard: '',
    networkHandlers: [],
    inflight: 0,
    wx: null,
  }
  current = m

  /** Delivers a wx callback on a later turn, counted so `settle` knows it is coming. */
  const later = (fn: () => void) => {
    m.inflight++
    setTimeout(() => {
      m.inflight--
      fn()
    }, 0)
  }

  const parse = (url: string, method: string, header: Record<string, string>, body: unknown): FakeRequest => {
    if (!url.startsWith(API_BASE)) throw new Error(`request outside API_BASE: ${url}`)
    const [path, qs = ''] = url.slice(API_BASE.length).split('?')
    const query: Record<string, string> = {}
    qs.split('&').filter(Boolean).forEach((kv) => {
      const [k, v] = kv.split('=')
      query[decodeURIComponent(k)] = decodeURIComponent(v || '')
    })
    return { method, path: decodeURI(path), query, headers: { ...header }, body: body === undefined ? undefined : JSON.parse(JSON.stringify(body)) }
  }

  const exchange = (req: FakeRequest, ok: (status: number, body: unknown, headers: Record<string, string>) => void, fail: (errMsg: string) => void) => {
    later(() => {
      const f = m.fault(req)
      if (f === 'fail') return fail('request:fail net::ERR_INTERNET_DISCONNECTED')
      if (f === 'timeout') return fail('request:fail timeout')
      const res = m.server.handle(req)
      if (f === 'timeout-after') return fail('request:fail timeout')
      ok(res.status, res.body === undefined ? '' : JSON.parse(JSON.stringify(res.body)), res.headers || {})
    })
  }

  const cb = (o: any, name: string, arg: any) => {
    o[name]?.(arg)
    o.complete?.(arg)
  }

  m.wx = {
    getStorageSync: (k: string) => (storage.has(k) ? JSON.parse(storage.get(k)!) : ''),
    setStorageSync: (k: string, v: unknown) => void storage.set(k, JSON.stringify(v)),
    removeStorageSync: (k: string) => void storage.delete(k),
    login: (o: any) => later(() => cb(o, 'success', { code: m.wxCode, errMsg: 'login:ok' })),
    request: (o: any) =>
      exchange(
        parse(o.url, o.method || 'GET', o.header || {}, o.data),
        (statusCode, data, header) => cb(o, 'success', { statusCode, data, header }),
        (errMsg) => cb(o, 'fail', { errMsg }),
      ),
    uploadFile: (o: any) =>
      m.missingFiles.has(o.filePath)
        ? later(() => cb(o, 'fail', { errMsg: 'uploadFile:fail file not found' }))
        : exchange(
        { ...parse(o.url, 'POST', o.header || {}, undefined), body: { [o.name]: o.filePath } },
        (statusCode, data) => cb(o, 'success', { statusCode, data: typeof data === 'string' ? data : JSON.stringify(data) }),
        (errMsg) => cb(o, 'fail', { errMsg: errMsg.replace('request', 'uploadFile') }),
      ),
    chooseMedia: (o: any) =>
      later(() => {
        if (!m.photo) return cb(o, 'fail', { errMsg: 'chooseMedia:fail cancel' })
        cb(o, 'success', { tempFiles: [{ tempFilePath: m.photo.path, size: m.photo.size, fileType: 'image' }], type: 'image' })
      }),
    compressImage: (o: any) => later(() => cb(o, 'success', { tempFilePath: `${o.src}.small.jpg` })),
    scanCode: (o: any) =>
      later(() => {
        const r = m.scanResults.shift()
        if (r === undefined) cb(o, 'fail', { errMsg: 'scanCode:fail cancel' })
        else cb(o, 'success', { result: r, scanType: 'EAN_13' })
      }),
    showModal: (o: any) => {
      m.modals.push(o.content)
      later(() => cb(o, 'success', { confirm: m.modalConfirm, cancel: !m.modalConfirm }))
    },
    showToast: (o: any) => void m.toasts.push(o.title),
    setClipboardData: (o: any) => {
      m.clipboard = o.data
      cb(o, 'success', {})
    },
    stopPullDownRefresh: () => undefined,
    setNavigationBarTitle: () => undefined,
    previewImage: () => undefined,
    makePhoneCall: () => undefined,
    /** Routed to the server like a GET: the photo URLs need the bearer token. */
    downloadFile: (o: any) => {
      m.downloads.push({ url: o.url, header: { ...(o.header || {}) } })
      exchange(
        parse(o.url, 'GET', o.header || {}, undefined),
        (statusCode) => cb(o, 'success', { statusCode, tempFilePath: `wxfile://tmp/${o.url.split('/').slice(-2).join('-')}` }),
        (errMsg) => cb(o, 'fail', { errMsg: errMsg.replace('request', 'downloadFile') }),
      )
    },
    onNetworkStatusChange: (fn: any) => void m.networkHandlers.push(fn),
    // What tdesign-miniprogram asks of the runtime: the base library of project.config.json.
    getAppBaseInfo: () => ({ SDKVersion: '3.4.0', language: 'zh_CN', theme: 'light' }),
    getSystemInfoSync: () => ({ SDKVersion: '3.4.0', windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667, pixelRatio: 2, statusBarHeight: 20, platform: 'devtools' }),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667, pixelRatio: 2, statusBarHeight: 20, safeArea: { top: 20, bottom: 667, left: 0, right: 375, width: 375, height: 647 } }),
    getDeviceInfo: () => ({ platform: 'devtools', system: 'iOS 17' }),
    nextTick: (fn: () => void) => later(fn),
  }
  for (const api of ['navigateTo', 'redirectTo', 'reLaunch']) {
    m.wx[api] = (o: any) => void m.navigations.push({ api, url: o.url })
  }
  m.wx.navigateBack = () => void m.navigations.push({ api: 'navigateBack', url: '' })
  ;(globalThis as any).wx = m.wx
  ;(globalThis as any).getApp = () => ({ globalData: {} })
  return m
}

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
  navigations: { api: string; url: string }[]
  downloads: { url: string; header: Record<string, string> }[]
  modals: string[]
  toasts: string[]
  modalConfirm: boolean
  networkHandlers: ((r: { isConnected: boolean; networkType: string }) => void)[]
  wx: any
}

/** Lets pending callbacks and promise chains run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0))
}

export function installWx(server = new FakeServer(), storage = new Map<string, string>()): WxMock {
  const m: WxMock = {
    server,
    storage,
    fault: () => undefined,
    wxCode: 'bound-code',
    scanResults: [],
    photo: { path: 'wxfile://card.jpg', size: 300000 },
    navigations: [],
    downloads: [],
    modals: [],
    toasts: [],
    modalConfirm: true,
    networkHandlers: [],
    wx: null,
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
    setTimeout(() => {
      const f = m.fault(req)
      if (f === 'fail') return fail('request:fail net::ERR_INTERNET_DISCONNECTED')
      if (f === 'timeout') return fail('request:fail timeout')
      const res = m.server.handle(req)
      if (f === 'timeout-after') return fail('request:fail timeout')
      ok(res.status, res.body === undefined ? '' : JSON.parse(JSON.stringify(res.body)), res.headers || {})
    }, 0)
  }

  const cb = (o: any, name: string, arg: any) => {
    o[name]?.(arg)
    o.complete?.(arg)
  }

  m.wx = {
    getStorageSync: (k: string) => (storage.has(k) ? JSON.parse(storage.get(k)!) : ''),
    setStorageSync: (k: string, v: unknown) => void storage.set(k, JSON.stringify(v)),
    removeStorageSync: (k: string) => void storage.delete(k),
    login: (o: any) => setTimeout(() => cb(o, 'success', { code: m.wxCode, errMsg: 'login:ok' }), 0),
    request: (o: any) =>
      exchange(
        parse(o.url, o.method || 'GET', o.header || {}, o.data),
        (statusCode, data, header) => cb(o, 'success', { statusCode, data, header }),
        (errMsg) => cb(o, 'fail', { errMsg }),
      ),
    uploadFile: (o: any) =>
      exchange(
        { ...parse(o.url, 'POST', o.header || {}, undefined), body: { [o.name]: o.filePath } },
        (statusCode, data) => cb(o, 'success', { statusCode, data: typeof data === 'string' ? data : JSON.stringify(data) }),
        (errMsg) => cb(o, 'fail', { errMsg: errMsg.replace('request', 'uploadFile') }),
      ),
    chooseMedia: (o: any) =>
      setTimeout(() => {
        if (!m.photo) return cb(o, 'fail', { errMsg: 'chooseMedia:fail cancel' })
        cb(o, 'success', { tempFiles: [{ tempFilePath: m.photo.path, size: m.photo.size, fileType: 'image' }], type: 'image' })
      }, 0),
    compressImage: (o: any) => setTimeout(() => cb(o, 'success', { tempFilePath: `${o.src}.small.jpg` }), 0),
    scanCode: (o: any) =>
      setTimeout(() => {
        const r = m.scanResults.shift()
        if (r === undefined) cb(o, 'fail', { errMsg: 'scanCode:fail cancel' })
        else cb(o, 'success', { result: r, scanType: 'EAN_13' })
      }, 0),
    showModal: (o: any) => {
      m.modals.push(o.content)
      setTimeout(() => cb(o, 'success', { confirm: m.modalConfirm, cancel: !m.modalConfirm }), 0)
    },
    showToast: (o: any) => void m.toasts.push(o.title),
    setClipboardData: (o: any) => cb(o, 'success', {}),
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
  }
  for (const api of ['navigateTo', 'redirectTo', 'reLaunch']) {
    m.wx[api] = (o: any) => void m.navigations.push({ api, url: o.url })
  }
  m.wx.navigateBack = () => void m.navigations.push({ api: 'navigateBack', url: '' })
  ;(globalThis as any).wx = m.wx
  return m
}

/**
 * `wx` for the live tests: the network calls the mini-program makes
 * (`wx.request`, `wx.uploadFile`, `wx.downloadFile`) go over HTTP to a real
 * server through Node's `fetch`, with the mini-program's API_BASE pointed at
 * it, as the WeChat client would send them; storage is in memory and
 * `wx.login` hands out the code a test chooses (the fake WeChat maps
 * `openid:XYZ` to the account XYZ). A test can lose a request before it
 * leaves, or lose the answer after the server acted on it — the weak mobile
 * network of a pharmacy counter.
 */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { API_BASE } from '../../miniprogram/config'

/** `fail`: never reaches the server; `timeout-after`: the server acts, its answer is lost. */
export type LiveFault = 'fail' | 'timeout-after' | undefined

export interface LiveRequest {
  method: string
  /** Path under the API base, e.g. `/registrations`. */
  path: string
}

export interface LiveWx {
  storage: Map<string, string>
  /** What `wx.login` answers next. */
  wxCode: string
  /** Decides a fault per request (default none). */
  fault: (req: LiveRequest) => LiveFault
  /** Every request the app sent, in order, whatever became of it. */
  sent: LiveRequest[]
}

export function installLiveWx(origin: string, storage = new Map<string, string>()): LiveWx {
  const apiBase = `${origin}${new URL(API_BASE).pathname}`
  const m: LiveWx = { storage, wxCode: 'any-code', fault: () => undefined, sent: [] }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-live-wx-'))
  let downloads = 0

  const target = (url: string): { url: string; req: LiveRequest } => {
    if (!url.startsWith(API_BASE)) throw new Error(`request outside API_BASE: ${url}`)
    const rest = url.slice(API_BASE.length)
    return { url: `${apiBase}${rest}`, req: { method: '', path: decodeURI(rest.split('?')[0]) } }
  }

  /** One exchange with the server, faults applied; resolves with the answer or rejects with a wx errMsg. */
  const exchange = async (url: string, method: string, init: RequestInit, timeoutMs: number): Promise<Response> => {
    const t = target(url)
    const req = { ...t.req, method }
    m.sent.push(req)
    const fault = m.fault(req)
    if (fault === 'fail') throw new Error('request:fail net::ERR_INTERNET_DISCONNECTED')
    let res: Response
    try {
      res = await fetch(t.url, { ...init, method, signal: AbortSignal.timeout(timeoutMs || 15000) })
    } catch (e) {
      throw new Error((e as Error).name === 'TimeoutError' ? 'request:fail timeout' : `request:fail ${(e as Error).message}`)
    }
    if (fault === 'timeout-after') {
      await res.arrayBuffer() // the server has answered — and the phone never hears it
      throw new Error('request:fail timeout')
    }
    return res
  }

  const headersOf = (res: Response): Record<string, string> => Object.fromEntries(res.headers.entries())

  const finish = (o: any, p: Promise<any>, api: string) =>
    p.then(
      (r) => {
        o.success?.(r)
        o.complete?.(r)
      },
      (e: Error) => {
        const r = { errMsg: e.message.replace(/^request/, api) }
        o.fail?.(r)
        o.complete?.(r)
      },
    )

  const wx = {
    getStorageSync: (k: string) => (storage.has(k) ? JSON.parse(storage.get(k)!) : ''),
    setStorageSync: (k: string, v: unknown) => void storage.set(k, JSON.stringify(v)),
    removeStorageSync: (k: string) => void storage.delete(k),
    login: (o: any) => setTimeout(() => o.success?.({ code: m.wxCode, errMsg: 'login:ok' }), 0),
    request: (o: any) => {
      const method = (o.method || 'GET').toUpperCase()
      const body = o.data === undefined || method === 'GET' ? undefined : JSON.stringify(o.data)
      finish(
        o,
        exchange(o.url, method, { headers: o.header || {}, body }, o.timeout).then(async (res) => {
          const text = await res.text()
          let data: unknown = text
          try {
            data = JSON.parse(text)
          } catch {
            /* wx.request hands non-JSON over as text */
          }
          return { statusCode: res.status, data, header: headersOf(res), errMsg: 'request:ok' }
        }),
        'request',
      )
    },
    uploadFile: (o: any) => {
      if (!fs.existsSync(o.filePath)) return void setTimeout(() => o.fail?.({ errMsg: 'uploadFile:fail file not found' }), 0)
      const form = new FormData()
      for (const [k, v] of Object.entries(o.formData || {})) form.append(k, String(v))
      const bytes = fs.readFileSync(o.filePath)
      const type = o.filePath.endsWith('.png') ? 'image/png' : 'image/jpeg'
      form.append(o.name, new Blob([bytes], { type }), path.basename(o.filePath))
      finish(
        o,
        exchange(o.url, 'POST', { headers: o.header || {}, body: form }, o.timeout).then(async (res) => ({
          statusCode: res.status,
          data: await res.text(),
          errMsg: 'uploadFile:ok',
        })),
        'uploadFile',
      )
    },
    downloadFile: (o: any) =>
      finish(
        o,
        exchange(o.url, 'GET', { headers: o.header || {} }, o.timeout).then(async (res) => {
          const file = path.join(tmp, `download-${++downloads}`)
          fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
          return { statusCode: res.status, tempFilePath: file, errMsg: 'downloadFile:ok' }
        }),
        'downloadFile',
      ),
    onNetworkStatusChange: () => undefined,
    showToast: () => undefined,
  }
  ;(globalThis as any).wx = wx
  ;(globalThis as any).getApp = () => ({ globalData: {} })
  return m
}

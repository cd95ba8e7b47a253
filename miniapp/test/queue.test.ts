/**
 * Weak network: a sale keeps its Idempotency-Key through every retry, waits in
 * storage across an app restart, asks for a re-scan when its scan expired, and
 * a refusal is never retried. Inspection drafts waiting for the network go out
 * by the same mechanism (utils/outbox.ts), started by app.ts.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { DRUGS } from './fake-server'
import { saveSession } from '../miniprogram/utils/session'
import type * as QueueModule from '../miniprogram/utils/queue'
import type * as OutboxModule from '../miniprogram/utils/outbox'
import type * as DraftModule from '../miniprogram/utils/inspection-draft'

let m: WxMock
let queue: typeof QueueModule
let outbox: typeof OutboxModule
let drafts: typeof DraftModule

/** Loads the app's modules afresh, as a restarted mini-program would (storage stays). */
function startApp(storage?: Map<string, string>, server = m?.server) {
  jest.resetModules()
  m = installWx(server, storage)
  require('../miniprogram/api/auth')
  queue = require('../miniprogram/utils/queue')
  outbox = require('../miniprogram/utils/outbox')
  drafts = require('../miniprogram/utils/inspection-draft')
}

/** The app as WeChat starts it: app.ts registers App({ onLaunch, onShow }). */
function launchApp(): { onLaunch(): void; onShow(): void } {
  let app: any
  ;(globalThis as any).App = (o: unknown) => {
    app = o
  }
  require('../miniprogram/app')
  return app
}

/** A submitted inspection draft that could not be sent (as the form leaves it). */
function pendingDraft(pharmacyId = 'p1', key = 'ikey-1'): DraftModule.Draft {
  const d: DraftModule.Draft = {
    pharmacyId, pharmacyName: '仁和大药房', key, result: 'compliant', findings: '', disposition: 'none', photos: [],
    pending: true, submittedAt: '2026-01-05T15:00:00+08:00',
  }
  drafts.saveDraft(d)
  return d
}

function sale(scanToken: string, key = 'key-1'): QueueModule.Sale {
  return {
    key,
    body: { scan_token: scanToken, items: [{ barcode: DRUGS[0].barcode, quantity: 2, batch_no: 'B2301' }], client_time: '2026-01-05T14:00:00+08:00' },
    buyer: '张* 110105********002X',
    items: '复方盐酸伪麻黄碱缓释胶囊×2',
    lines: [{ drug: DRUGS[0], quantity: 2, batch_no: 'B2301', trace_code: '' }],
  }
}

/** A scan the fake server knows, by a signed-in clerk. */
async function scanned(): Promise<string> {
  const { scanPhoto } = require('../miniprogram/api/scan')
  return (await scanPhoto('id_card', 'wxfile://card.jpg')).scan_token
}

afterEach(() => outbox.stopAutoRetry())
beforeEach(() => {
  startApp(new Map(), new (require('./fake-server').FakeServer)())
  saveSession(m.server.signIn())
})

describe('queue', () => {
  it('a timeout after the server committed, then a retry with the same key, registers once', async () => {
    const token = await scanned()
    m.fault = (r) => (r.path === '/registrations' ? 'timeout-after' : undefined)
    const first = await queue.submitSale(sale(token))
    expect(first).toEqual({ outcome: 'queued', pending: 1 })
    expect(m.server.registrations).toHaveLength(1) // the server did act

    m.fault = () => undefined
    const r = await queue.flushQueue()
    expect(r.created).toHaveLength(1)
    expect(r.created[0].id).toBe(m.server.registrations[0].id) // the first answer, replayed
    expect(m.server.registrations).toHaveLength(1) // no second registration
    const keys = m.server.requests.filter((x) => x.path === '/registrations').map((x) => x.headers['Idempotency-Key'])
    expect(keys).toEqual(['key-1', 'key-1'])
    expect(queue.pendingCount()).toBe(0)
  })

  it('keeps queued sales across an app restart and sends them afterwards', async () => {
    const token = await scanned()
    m.fault = () => 'fail'
    await queue.submitSale(sale(token))
    expect(m.server.registrations).toHaveLength(0)

    startApp(m.storage) // closed and reopened: same storage, fresh modules
    expect(queue.pendingCount()).toBe(1)
    expect(queue.loadQueue()[0]).toMatchObject({ key: 'key-1', status: 'pending', buyer: '张* 110105********002X' })
    await queue.flushQueue()
    expect(m.server.registrations).toHaveLength(1)
    expect(queue.loadQueue()).toEqual([])
  })

  it('marks a queued sale whose scan expired "需重新扫描证件" instead of dropping it', async () => {
    const token = await scanned()
    m.fault = () => 'fail'
    await queue.submitSale(sale(token))
    m.fault = () => undefined
    m.server.scanTokens.clear() // 10 minutes later
    await queue.flushQueue()
    const [s] = queue.loadQueue()
    expect(s).toMatchObject({ status: 'needs_rescan', code: 'SCAN_TOKEN_INVALID', message: '需重新扫描证件' })
    expect(queue.pendingCount()).toBe(0)
    expect(queue.attention()).toHaveLength(1)
    const reached = m.server.requests.length
    await queue.flushQueue() // not retried
    expect(m.server.requests.length).toBe(reached)
  })

  it('does not queue a refusal: it rejects with the server code', async () => {
    const token = await scanned()
    m.server.refuseWith = 'WINDOW_LIMIT_EXCEEDED'
    await expect(queue.submitSale(sale(token))).rejects.toMatchObject({ status: 422, code: 'WINDOW_LIMIT_EXCEEDED' })
    expect(queue.loadQueue()).toEqual([])
  })

  it('shows a refusal that comes on a retry, and never retries it', async () => {
    const token = await scanned()
    m.fault = () => 'timeout'
    await queue.submitSale(sale(token))
    m.fault = () => undefined
    m.server.refuseWith = 'WINDOW_LIMIT_EXCEEDED'
    await queue.flushQueue()
    expect(queue.loadQueue()[0]).toMatchObject({ status: 'refused', message: expect.stringMatching(/累计购买已达上限/) })
    const reached = m.server.requests.length
    await queue.flushQueue()
    expect(m.server.requests.length).toBe(reached)
  })

  it('queues on 503 (server busy), not only on network failures', async () => {
    const token = await scanned()
    m.fault = () => undefined
    const handle = m.server.handle.bind(m.server)
    m.server.handle = (req) =>
      req.path === '/registrations' ? { status: 503, body: { code: 'DATABASE_UNAVAILABLE', title: '', status: 503, errors: [] } } : handle(req)
    expect((await queue.submitSale(sale(token))).outcome).toBe('queued')
  })

  it('retries when the network comes back, and stops at the first still-failing one', async () => {
    const token = await scanned()
    m.fault = () => 'fail'
    await queue.submitSale(sale(token, 'a'))
    await queue.submitSale(sale(token, 'b'))
    expect(queue.pendingCount()).toBe(2)
    outbox.startAutoRetry()
    let attempts = 0
    m.fault = () => (attempts++, 'fail')
    m.networkHandlers.forEach((h) => h({ isConnected: true, networkType: '4g' }))
    await settle()
    expect(queue.pendingCount()).toBe(2)
    expect(attempts).toBe(1) // still offline: one attempt, then it stops
    m.fault = () => undefined
    m.networkHandlers.forEach((h) => h({ isConnected: true, networkType: 'wifi' }))
    await settle()
    expect(queue.pendingCount()).toBe(0)
    expect(m.server.registrations).toHaveLength(2)
  })

  it('notifies listeners so pages show the pending count', async () => {
    const token = await scanned()
    const seen: number[] = []
    const off = queue.onQueueChange((q) => seen.push(queue.pendingCount(q)))
    m.fault = () => 'fail'
    await queue.submitSale(sale(token))
    m.fault = () => undefined
    await queue.flushQueue()
    off()
    expect(seen).toEqual([1, 0])
  })
})

describe('inspection drafts in the outbox', () => {
  it('the app sends waiting sales and inspections when it shows, each with its own kept key', async () => {
    const token = await scanned()
    m.fault = () => 'fail'
    await queue.submitSale(sale(token))
    pendingDraft()
    expect(outbox.pendingAll()).toEqual({ registrations: 1, inspections: 1 })

    startApp(m.storage) // closed and reopened
    saveSession(m.server.signIn())
    const app = launchApp()
    app.onLaunch()
    app.onShow()
    await settle()
    expect(m.server.registrations).toHaveLength(1)
    expect(m.server.inspections).toHaveLength(1)
    const create = m.server.requests.find((r) => /inspections$/.test(r.path))!
    expect(create.headers['Idempotency-Key']).toBe('ikey-1')
    expect(create.body).toMatchObject({ result: 'compliant', disposition: 'none', photo_keys: [], inspected_at: '2026-01-05T15:00:00+08:00' })
    expect(outbox.pendingAll()).toEqual({ registrations: 0, inspections: 0 })
  })

  it('a signed-out app does not try', async () => {
    pendingDraft()
    m.wx.removeStorageSync('yaojian.token')
    const app = launchApp()
    app.onShow()
    await settle()
    expect(m.server.requests).toHaveLength(0)
  })

  it('a refusal is kept with its message, never retried, and not counted as waiting', async () => {
    pendingDraft()
    m.server.pharmacies = m.server.pharmacies.filter((p) => p.id !== 'p1')
    await outbox.flushAll()
    const [d] = drafts.listDrafts()
    expect(d).toMatchObject({ pending: false, refused: { code: 'PHARMACY_NOT_FOUND', message: '药店不存在或不在您的辖区' } })
    expect(d.key).not.toBe('ikey-1') // the corrected form is another request
    expect(drafts.refusedDrafts()).toHaveLength(1)
    const reached = m.server.requests.length
    await outbox.flushAll()
    await drafts.sendDraft('p1')
    expect(m.server.requests.length).toBe(reached)
  })

  it('stops at the first draft still offline, and keeps trying on later occasions', async () => {
    pendingDraft('p1', 'a')
    pendingDraft('p2', 'b')
    let attempts = 0
    m.fault = () => (attempts++, 'fail')
    const r = await drafts.flushDrafts()
    expect(r.pending).toBe(2)
    expect(attempts).toBe(1)
    expect(drafts.listDrafts()[0]).toMatchObject({ pending: true, attempts: 1, message: expect.stringMatching(/网络不通.*网络恢复后自动重新提交/) })
    m.fault = () => undefined
    await drafts.flushDrafts()
    expect(m.server.inspections.map((i) => i.pharmacy_id).sort()).toEqual(['p1', 'p2'])
    expect(drafts.listDrafts()).toEqual([])
  })

  it('a draft still being written is never sent on its own', async () => {
    drafts.saveDraft({ ...pendingDraft(), pending: false })
    await outbox.flushAll()
    expect(m.server.requests).toHaveLength(0)
  })
})

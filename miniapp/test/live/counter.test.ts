/**
 * The pharmacy counter against a real `yaojian serve` (test/live/server.ts):
 * the mini-program's own API layer and queue — not a copy — sign in and
 * bind, read a card through the card-reader path, register, meet the sales
 * rules' refusals, survive an answer lost after the server committed, and
 * list the records. Each test has a database of its own.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { installLiveWx, type LiveWx } from './wx-live'
import { useLiveServer } from './server'
import { idNumber, saleOf } from './fixtures'
import type * as AuthModule from '../../miniprogram/api/auth'
import type * as ScanModule from '../../miniprogram/api/scan'
import type * as RegistrationsModule from '../../miniprogram/api/registrations'
import type * as QueueModule from '../../miniprogram/utils/queue'
import type * as SessionModule from '../../miniprogram/utils/session'
import type * as ErrorsModule from '../../miniprogram/utils/errors'
import type * as ApiErrorModule from '../../miniprogram/api/api-error'

const live = useLiveServer()
let m: LiveWx
let auth: typeof AuthModule
let scan: typeof ScanModule
let registrations: typeof RegistrationsModule
let queue: typeof QueueModule
let session: typeof SessionModule
let errors: typeof ErrorsModule
let apiError: typeof ApiErrorModule

/** The app's modules loaded afresh against this test's server, as a (re)started mini-program. */
function startApp(storage?: Map<string, string>) {
  jest.resetModules()
  m = installLiveWx(live.server.origin, storage)
  auth = require('../../miniprogram/api/auth')
  scan = require('../../miniprogram/api/scan')
  registrations = require('../../miniprogram/api/registrations')
  queue = require('../../miniprogram/utils/queue')
  session = require('../../miniprogram/utils/session')
  errors = require('../../miniprogram/utils/errors')
  apiError = require('../../miniprogram/api/api-error')
}

beforeEach(() => startApp())

/** Signs in as the demo clerk of 江岸区民生大药房 (the fake WeChat's default account). */
async function clerk(): Promise<void> {
  m.wxCode = 'any-code'
  const r = await auth.signIn()
  expect(r.bound).toBe(true)
}

/** Sales recorded at the demo clerk's pharmacy (the template holds the demo week's). */
async function ownSales(): Promise<number> {
  const [row] = await live.server.sql<{ n: string }>(
    "SELECT count(*) AS n FROM registration WHERE pharmacy_id = (SELECT pharmacy_id FROM app_user WHERE wechat_openid = 'oDEMO_user_000000000000000')",
  )
  return Number(row.n)
}

/** A buyer read through the card reader: the server's scan token. */
async function readCard(id = idNumber('19800101'), name = '张三'): Promise<string> {
  const r = await scan.scanReader({ kind: 'id_card', fields: { name, id_number: id, valid_until: '长期' } })
  return r.scan_token
}

/** The server's refusal, as the app's own ApiError (of this app start's modules). */
async function refusal(p: Promise<unknown>): Promise<ApiErrorModule.ApiError> {
  const e = await p.then(
    () => null,
    (err) => err,
  )
  expect(e).toBeInstanceOf(apiError.ApiError)
  return e as ApiErrorModule.ApiError
}

describe('sign-in and bind', () => {
  it('a new clerk binds with the invite code once, and WeChat signs them in from then on', async () => {
    m.wxCode = 'openid:oLIVE_new_clerk_0000000'
    const first = await auth.signIn()
    if (first.bound) throw new Error('a new WeChat account must not be bound')

    const wrong = await refusal(auth.bind(first.bindToken, 'WRONG-CODE'))
    expect([wrong.status, wrong.code]).toEqual([422, 'INVITE_INVALID'])
    expect(errors.messageFor(wrong)).toMatch(/邀请码/)

    const again = await auth.signIn()
    if (again.bound) throw new Error('still unbound')
    const user = await auth.bind(again.bindToken, ` ${live.world.inviteCode} `)
    expect([user.display_name, user.role]).toEqual(['民生新店员', 'clerk'])
    expect(session.getToken()).not.toBe('')

    session.clearSession()
    const later = await auth.signIn()
    expect(later).toEqual({ bound: true, user: expect.objectContaining({ id: user.id }) })
    expect((await auth.me()).id).toBe(user.id)

    // The invite code was single use.
    m.wxCode = 'openid:oLIVE_someone_else_000'
    const other = await auth.signIn()
    if (other.bound) throw new Error('unbound')
    expect((await refusal(auth.bind(other.bindToken, live.world.inviteCode))).code).toBe('INVITE_INVALID')
  })

  it('a bind token is single use: a second bind is told to sign in again', async () => {
    m.wxCode = 'openid:oLIVE_twice_000000000000'
    const r = await auth.signIn()
    if (r.bound) throw new Error('unbound')
    await auth.bind(r.bindToken, live.world.inviteCode)
    const e = await refusal(auth.bind(r.bindToken, live.world.inviteCode))
    expect([e.status, e.code]).toEqual([422, 'BIND_TOKEN_INVALID'])
  })

  it('a token the server no longer accepts is replaced by a silent sign-in, and the call goes through', async () => {
    await clerk()
    session.saveSession('expired-or-revoked-token')
    const page = await registrations.listRegistrations({})
    expect(page.total).toBe(await ownSales())
    expect(session.getToken()).not.toBe('expired-or-revoked-token')
    expect(m.sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /auth/wechat/login',
      'GET /registrations',
      'POST /auth/wechat/login',
      'GET /registrations',
    ])
  })
})

describe('scan and register', () => {
  it('a card read by the reader registers a sale, masked, and it is in the records', async () => {
    await clerk()
    const before = await ownSales()
    const token = await readCard()
    const r = await queue.submitSale(saleOf('sale-1', token, 2))
    if (r.outcome !== 'created') throw new Error(`expected created, got ${r.outcome}`)
    expect(r.registration.buyer.name_masked).toBe('张*')
    expect(r.registration.buyer.id_masked).not.toContain('19800101')
    expect(r.registration.total_packages).toBe(2)
    expect(r.registration.source).toBe('id_card')

    const page = await registrations.listRegistrations({ page: 1, page_size: 20 })
    expect([page.total, page.items[0].id]).toEqual([before + 1, r.registration.id])
    expect(await registrations.getRegistration(r.registration.id)).toEqual(page.items[0])
    expect(queue.loadQueue()).toEqual([])
  })

  it('the per-sale cap and the window refuse with the server codes, and nothing is queued or recorded', async () => {
    await clerk()
    const before = await ownSales()
    const buyer = idNumber('19750505', '456')
    const over = await refusal(queue.submitSale(saleOf('cap', await readCard(buyer), 3)))
    expect([over.status, over.code]).toEqual([422, 'PURCHASE_LIMIT_EXCEEDED'])

    // Within the window (5 packages in 7 days by default): 2 + 2, then 2 more is over.
    for (const key of ['w1', 'w2']) {
      expect((await queue.submitSale(saleOf(key, await readCard(buyer), 2))).outcome).toBe('created')
    }
    const scanned = await scan.scanReader({ kind: 'id_card', fields: { name: '张三', id_number: buyer } })
    expect(scanned.window_remaining).toBe(1)
    const window = await refusal(queue.submitSale(saleOf('w3', scanned.scan_token, 2)))
    expect([window.status, window.code]).toEqual([422, 'WINDOW_LIMIT_EXCEEDED'])
    expect(errors.messageFor(window)).toMatch(/上限/)

    const minor = await refusal(queue.submitSale(saleOf('minor', await readCard(idNumber('20150601')), 1)))
    expect(minor.code).toBe('MINOR_NOT_ALLOWED')

    expect(queue.loadQueue()).toEqual([])
    expect((await registrations.listRegistrations({})).total).toBe(before + 2)
  })

  it('an identity number that is not one is refused at the reader, with the field named', async () => {
    await clerk()
    const e = await refusal(scan.scanReader({ kind: 'id_card', fields: { name: '张三', id_number: '110101198001011230' } }))
    expect(e.status).toBeGreaterThanOrEqual(400)
    expect(e.status).toBeLessThan(500)
    expect(errors.messageFor(e)).toMatch(/校验位/)
  })
})

describe('the weak network', () => {
  it('an answer lost after the server committed: the sale waits, the retry gets the same registration, one is recorded', async () => {
    await clerk()
    const before = await ownSales()
    const token = await readCard()
    let lose = true
    m.fault = (req) => {
      if (req.method === 'POST' && req.path === '/registrations' && lose) {
        lose = false
        return 'timeout-after'
      }
      return undefined
    }
    const r = await queue.submitSale(saleOf('lost-answer', token, 1))
    expect(r).toEqual({ outcome: 'queued', pending: 1 })
    expect(await ownSales()).toBe(before + 1) // the server did record it

    // The app is closed and opened again (storage survives), then the queue is flushed.
    const kept = m.storage
    startApp(kept)
    const flushed = await queue.flushQueue()
    expect(flushed.pending).toBe(0)
    expect(flushed.created).toHaveLength(1)
    const page = await registrations.listRegistrations({})
    expect([page.total, page.items[0].id]).toEqual([before + 1, flushed.created[0].id])
    expect(queue.loadQueue()).toEqual([])
  })

  it('a request that never left waits in the queue and is registered once the network is back', async () => {
    await clerk()
    const before = await ownSales()
    const token = await readCard()
    m.fault = (req) => (req.path === '/registrations' ? 'fail' : undefined)
    expect(await queue.submitSale(saleOf('offline', token, 1))).toEqual({ outcome: 'queued', pending: 1 })
    expect((await queue.flushQueue()).pending).toBe(1) // still offline: stays
    m.fault = () => undefined
    const flushed = await queue.flushQueue()
    expect([flushed.created.length, flushed.pending]).toEqual([1, 0])
    expect((await registrations.listRegistrations({})).total).toBe(before + 1)
  })

  it('a sale whose scan expired while it waited asks for a re-scan instead of retrying forever', async () => {
    await clerk()
    const before = await ownSales()
    m.fault = (req) => (req.path === '/registrations' ? 'fail' : undefined)
    await queue.submitSale(saleOf('stale', 'scan-token-that-the-server-never-issued', 1))
    m.fault = () => undefined
    await queue.flushQueue()
    expect(queue.loadQueue().map((s) => [s.status, s.code])).toEqual([['needs_rescan', 'SCAN_TOKEN_INVALID']])
    expect((await registrations.listRegistrations({})).total).toBe(before)
  })
})

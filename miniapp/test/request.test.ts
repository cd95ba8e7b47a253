/** The API layer: bearer token, problem+json → ApiError, network failures, re-login on 401. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, type WxMock } from './wx-mock'
import { call, upload } from '../miniprogram/api/request'
import { ApiError, NetworkError, isTransient } from '../miniprogram/api/api-error'
import { bind, logout, signIn } from '../miniprogram/api/auth'
import { getToken, saveSession } from '../miniprogram/utils/session'

let m: WxMock
beforeEach(() => {
  m = installWx()
})

describe('request', () => {
  it('sends the stored bearer token and resolves with the body', async () => {
    saveSession(m.server.signIn())
    const drug = await call({ method: 'get', path: '/drugs/by-barcode/{barcode}', params: { barcode: '6901234560015' } })
    expect(drug.name).toBe('复方盐酸伪麻黄碱缓释胶囊')
    expect(m.server.requests[0].headers.Authorization).toBe(`Bearer ${getToken()}`)
  })

  it('maps problem+json to a typed ApiError', async () => {
    saveSession(m.server.signIn())
    const err = await call({ method: 'get', path: '/drugs/by-barcode/{barcode}', params: { barcode: '1' } }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 404, code: 'DRUG_NOT_FOUND', fields: [] })
    expect(isTransient(err)).toBe(false)
  })

  it('tells a network failure and a timeout from a server answer', async () => {
    saveSession(m.server.signIn())
    m.fault = () => 'fail'
    const offline = await call({ method: 'get', path: '/me' }).catch((e) => e)
    expect(offline).toBeInstanceOf(NetworkError)
    expect(offline.timeout).toBe(false)
    m.fault = () => 'timeout'
    const slow = await call({ method: 'get', path: '/me' }).catch((e) => e)
    expect(slow).toBeInstanceOf(NetworkError)
    expect(slow.timeout).toBe(true)
    expect(isTransient(slow)).toBe(true)
  })

  it('signs in again once on 401 and repeats the call with the new token', async () => {
    saveSession('expired-token')
    const drug = await call({ method: 'get', path: '/drugs/by-barcode/{barcode}', params: { barcode: '6901234560015' } })
    expect(drug.barcode).toBe('6901234560015')
    const paths = m.server.requests.map((r) => r.path)
    expect(paths).toEqual(['/drugs/by-barcode/6901234560015', '/auth/wechat/login', '/drugs/by-barcode/6901234560015'])
    expect(getToken()).not.toBe('expired-token')
  })

  it('gives up with 401 when the account is no longer bound', async () => {
    saveSession('expired-token')
    m.wxCode = 'unbound-code'
    const err = await call({ method: 'get', path: '/me' }).catch((e) => e)
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(getToken()).toBe('')
  })

  it('uploads a photo as multipart field `image`', async () => {
    saveSession(m.server.signIn())
    const r = await upload('/scan/id-card', 'wxfile://card.jpg')
    expect(r.scan_token).toMatch(/^scan-/)
    expect(m.server.requests[0].body).toEqual({ image: 'wxfile://card.jpg' })
  })
})

describe('auth', () => {
  it('keeps the token of a bound account', async () => {
    const r = await signIn()
    expect(r.bound).toBe(true)
    expect(getToken()).toMatch(/^tok-/)
  })

  it('binds an unbound account with its invite code', async () => {
    m.wxCode = 'new-code'
    const r = await signIn()
    expect(r.bound).toBe(false)
    if (r.bound) return
    const user = await bind(r.bindToken, ' GOOD1234 ')
    expect(user.display_name).toBe('王店员')
    expect(getToken()).toMatch(/^tok-/)
  })

  it('logs out on the server and clears storage, even offline', async () => {
    await signIn()
    const token = getToken()
    await logout()
    expect(m.server.tokens.has(token)).toBe(false)
    expect(getToken()).toBe('')
    await signIn()
    m.fault = () => 'fail'
    await logout()
    expect(getToken()).toBe('')
  })
})

/** Login and bind pages. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { renderPage, tapEvent } from './simulate'
import { getToken } from '../miniprogram/utils/session'

let m: WxMock
beforeEach(() => {
  m = installWx()
})

describe('login page', () => {
  it('signs a bound account in without a tap and opens home', async () => {
    const page = renderPage('login')
    page.instance.onLoad()
    await settle()
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
    expect(getToken()).toMatch(/^tok-/)
  })

  it('sends an unbound account to the bind page with its bind token', async () => {
    m.wxCode = 'new-code'
    const page = renderPage('login')
    page.instance.onLoad()
    await settle()
    expect(m.navigations[0].api).toBe('redirectTo')
    expect(m.navigations[0].url).toMatch(/^\/pages\/bind\/index\?bind_token=bind-\d+$/)
  })

  it('shows what to do when offline, and the button tries again', async () => {
    m.fault = () => 'fail'
    const page = renderPage('login')
    page.instance.onLoad()
    await settle()
    expect(page.data.error).toMatch(/网络不通/)
    expect(page.querySelector('#error').dom.textContent).toMatch(/网络不通/)
    m.fault = () => undefined
    await page.instance.signIn()
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
  })
})

describe('bind page', () => {
  async function bindPage() {
    m.wxCode = 'new-code'
    const { signIn } = require('../miniprogram/api/auth')
    const r = await signIn()
    const page = renderPage('bind')
    page.instance.onLoad({ bind_token: r.bindToken })
    return page
  }

  it('binds with the invite code and opens home', async () => {
    const page = await bindPage()
    page.instance.onInput(tapEvent({}, { value: 'GOOD1234' }))
    await page.instance.bind()
    expect(getToken()).toMatch(/^tok-/)
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
  })

  it('after a wrong code says so, fetches a fresh bind token, and the right code then works', async () => {
    const page = await bindPage()
    const first = page.data.bindToken
    page.instance.onInput(tapEvent({}, { value: 'WRONG' }))
    await page.instance.bind()
    expect(page.data.error).toMatch(/邀请码不正确/)
    expect(page.data.bindToken).not.toBe(first)
    page.instance.onInput(tapEvent({}, { value: 'GOOD1234' }))
    await page.instance.bind()
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
  })
})

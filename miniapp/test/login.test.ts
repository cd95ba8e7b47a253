/** Login and bind pages, driven through their buttons and inputs. */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { installWx, settle, type WxMock } from './wx-mock'
import { renderPage, tap, text, type } from './simulate'
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

  it('shows what to do when offline, and tapping 微信登录 tries again', async () => {
    m.fault = () => 'fail'
    const page = renderPage('login')
    page.instance.onLoad()
    await settle()
    expect(text(page, '#error')).toMatch(/网络不通，请检查网络后重试/)
    expect(text(page, '#login')).toBe('微信登录')
    m.fault = () => undefined
    await tap(page, '#login')
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
    expect(getToken()).toMatch(/^tok-/)
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
  const binds = () => m.server.requests.filter((r) => r.path === '/auth/wechat/bind')

  it('the button does nothing until a code is typed; with the code it binds and opens home', async () => {
    const page = await bindPage()
    await tap(page, '#bind')
    expect(binds()).toHaveLength(0) // disabled while empty
    await type(page, '#invite', 'GOOD1234')
    await tap(page, '#bind')
    expect(binds()[0].body).toMatchObject({ invite_code: 'GOOD1234' })
    expect(getToken()).toMatch(/^tok-/)
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
  })

  it('after a wrong code says so under the field, fetches a fresh bind token, and the right code then works', async () => {
    const page = await bindPage()
    await type(page, '#invite', 'WRONG')
    await tap(page, '#bind')
    expect(text(page, '#invite')).toMatch(/邀请码不正确或已过期，请核对后重输/)
    const [first] = binds()
    await type(page, '#invite', 'GOOD1234')
    expect(text(page, '#invite')).not.toMatch(/邀请码不正确/) // typing clears the message
    await tap(page, '#bind')
    const second = binds()[1]
    expect(second.body.bind_token).not.toBe(first.body.bind_token) // single use: a fresh one was fetched
    expect(m.navigations).toEqual([{ api: 'reLaunch', url: '/pages/home/index' }])
  })
})

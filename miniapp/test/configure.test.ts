/**
 * The build sets each version's server (scripts/configure.js), and the
 * running version picks its own (config.ts, from wx.getAccountInfoSync).
 */
import { describe, expect, it, jest } from '@jest/globals'
import { SERVERS } from '../miniprogram/env'

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { settings, renderEnv } = require('../scripts/configure.js')

describe('configure', () => {
  it('defaults every version to the local server', () => {
    const s = settings({})
    expect(s.servers).toEqual({
      develop: 'http://127.0.0.1:8080/api/v1',
      trial: 'http://127.0.0.1:8080/api/v1',
      release: 'http://127.0.0.1:8080/api/v1',
    })
    expect(s.appid).toBe('touristappid')
    expect(renderEnv(s.servers)).toContain("release: 'http://127.0.0.1:8080/api/v1'")
  })

  it('refuses a release build without HTTPS servers and a real appid', () => {
    expect(() => settings({}, { release: true })).toThrow(/YAOJIAN_MP_API_RELEASE/)
    const env = {
      YAOJIAN_MP_APPID: 'wx0123456789abcdef',
      YAOJIAN_MP_API_TRIAL: 'https://trial.yaojian.example/api/v1',
      YAOJIAN_MP_API_RELEASE: 'http://yaojian.example/api/v1',
    }
    expect(() => settings(env, { release: true })).toThrow(/https/)
    const ok = settings({ ...env, YAOJIAN_MP_API_RELEASE: 'https://yaojian.example/api/v1/' }, { release: true })
    expect(ok.servers.release).toBe('https://yaojian.example/api/v1')
    expect(() => settings({ YAOJIAN_MP_API_DEVELOP: 'https://x.example/v2' })).toThrow(/api\/v1/)
  })
})

describe('config', () => {
  it("takes the running version's server", () => {
    const g = globalThis as any
    const saved = g.wx
    try {
      for (const version of ['develop', 'trial', 'release'] as const) {
        g.wx = { getAccountInfoSync: () => ({ miniProgram: { envVersion: version } }) }
        jest.isolateModules(() => {
          // eslint-disable-next-line @typescript-eslint/no-var-requires
          const config = require('../miniprogram/config')
          expect(config.envVersion()).toBe(version)
          expect(config.API_BASE).toBe(SERVERS[version])
        })
      }
      g.wx = undefined
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        expect(require('../miniprogram/config').envVersion()).toBe('develop')
      })
    } finally {
      g.wx = saved
    }
  })
})

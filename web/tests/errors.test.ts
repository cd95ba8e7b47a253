/**
 * Every error code the server may answer has a Chinese message in
 * shared/errors.ts: the OpenAPI document's `x-error-codes` (api/openapi.json,
 * regenerated from the server binary by `npm run gen:api`).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, NetworkError } from '@shared/api/api-error'
import { ERROR_MESSAGES, fieldMessages, lockedMessage, messageFor } from '@shared/errors'

const doc = JSON.parse(readFileSync(join(__dirname, '..', 'api', 'openapi.json'), 'utf8'))

describe('error table', () => {
  it("has a message for every code in the OpenAPI document's x-error-codes", () => {
    const codes: string[] = doc['x-error-codes']
    expect(Array.isArray(codes)).toBe(true)
    expect(codes.length).toBeGreaterThan(50)
    expect(codes.filter((c) => !ERROR_MESSAGES[c])).toEqual([])
  })

  it('says something in Chinese for each code', () => {
    for (const [code, msg] of Object.entries(ERROR_MESSAGES)) {
      expect([code, /[\u4e00-\u9fa5]/.test(msg)]).toEqual([code, true])
    }
  })

  it("prefers a validation failure's single field code", () => {
    const e = new ApiError(400, 'VALIDATION_FAILED', '请求内容格式不正确', [
      { field: 'district_code', code: 'DISTRICT_INVALID', message: '区划代码应为 6 位数字' },
    ])
    expect(messageFor(e)).toBe(ERROR_MESSAGES.DISTRICT_INVALID)
  })

  it('falls back on the title, then the status, for a code it does not know', () => {
    expect(messageFor(new ApiError(422, 'NEW_RULE', '新规则不允许'))).toBe('新规则不允许')
    expect(messageFor(new ApiError(429, 'HTTP_429', ''))).toMatch(/频繁/)
    expect(messageFor(new ApiError(502, 'HTTP_502', ''))).toMatch(/繁忙/)
    expect(messageFor(new NetworkError('Failed to fetch'))).toMatch(/网络/)
  })

  it('tells when a locked account opens again, from Retry-After', () => {
    const now = new Date(2025, 0, 1, 14, 0, 0)
    expect(lockedMessage(900, now)).toBe('密码错误次数过多，账号已锁定，请 15 分钟后（14:15 以后）再试')
    expect(lockedMessage(undefined)).toBe(ERROR_MESSAGES.LOGIN_LOCKED)
    expect(messageFor(new ApiError(429, 'LOGIN_LOCKED', '', [], 60))).toMatch(/1 分钟后/)
  })

  it('maps field errors to their fields, joining several on one field', () => {
    const e = new ApiError(422, 'VALIDATION_FAILED', '', [
      { field: 'username', code: 'USERNAME_INVALID', message: '' },
      { field: 'phone', code: 'PHONE_INVALID', message: '手机号应为 11 位' },
      { field: 'phone', code: 'TOO_LONG', message: '太长' },
    ])
    expect(fieldMessages(e)).toEqual({ username: ERROR_MESSAGES.USERNAME_INVALID, phone: '手机号应为 11 位；太长' })
  })
})

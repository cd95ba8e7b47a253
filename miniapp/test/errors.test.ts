/**
 * Every error code the server may answer has a message in utils/errors.ts:
 * the OpenAPI document's `x-error-codes` (api/openapi.json, regenerated from
 * the server binary by scripts/test), which the server's own tests keep
 * complete.
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'fs'
import * as path from 'path'
import { ERROR_MESSAGES, messageFor } from '../miniprogram/utils/errors'
import { ApiError, NetworkError } from '../miniprogram/api/api-error'

const ROOT = path.resolve(__dirname, '..')
describe('error table', () => {
  it("has a message for every code in the OpenAPI document's x-error-codes", () => {
    const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'api/openapi.json'), 'utf8'))
    const codes: string[] = doc['x-error-codes']
    expect(codes.length).toBeGreaterThan(50)
    expect(codes.filter((c) => !ERROR_MESSAGES[c])).toEqual([])
  })

  it('says something in Chinese for each code', () => {
    for (const [code, msg] of Object.entries(ERROR_MESSAGES)) {
      expect([code, /[\u4e00-\u9fa5]/.test(msg)]).toEqual([code, true])
    }
  })

  it("prefers a validation failure's field code", () => {
    const e = new ApiError(400, 'VALIDATION_FAILED', '请求内容格式不正确', [
      { field: 'scan_token', code: 'BUYER_REQUIRED', message: 'scan_token 与 buyer 二选一' },
    ])
    expect(messageFor(e)).toBe(ERROR_MESSAGES.BUYER_REQUIRED)
  })

  it('falls back on the title, then the status, for a code it does not know', () => {
    expect(messageFor(new ApiError(422, 'NEW_RULE', '新规则不允许'))).toBe('新规则不允许')
    expect(messageFor(new ApiError(429, 'HTTP_429', ''))).toMatch(/频繁/)
    expect(messageFor(new NetworkError('request:fail timeout'))).toMatch(/超时/)
  })
})

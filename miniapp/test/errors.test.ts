/**
 * Every error code the server may answer has a message in utils/errors.ts:
 * the codes named in SPEC §4–§5 and the OpenAPI document's `x-error-codes`
 * (api/openapi.json, regenerated from the server binary by scripts/test).
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'fs'
import * as path from 'path'
import { ERROR_MESSAGES, messageFor } from '../miniprogram/utils/errors'
import { ApiError, NetworkError } from '../miniprogram/api/api-error'

const ROOT = path.resolve(__dirname, '..')
const SPEC = process.env.YAOJIAN_SPEC || path.resolve(ROOT, '../../shared/SPEC.md')

/** Backticked UPPER_SNAKE words that are not error codes. */
const NOT_CODES = new Set([
  'DATABASE_URL', 'REDIS_URL', 'WECHAT_APPID', 'WECHAT_SECRET', 'WECHAT_API_BASE',
  // alert kinds
  'MINOR_ATTEMPT', 'WINDOW_LIMIT', 'MULTI_PHARMACY', 'SYNC_LAG', 'DEAD_LETTER',
])

export function specCodes(text: string): string[] {
  const start = text.search(/^## 4\./m)
  const end = text.search(/^## 6\./m)
  const part = text.slice(start, end > start ? end : undefined)
  const codes = new Set<string>()
  for (const m of part.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)) {
    if (!m[1].startsWith('YAOJIAN_') && !NOT_CODES.has(m[1])) codes.add(m[1])
  }
  return [...codes].sort()
}

describe('error table', () => {
  const specIt = fs.existsSync(SPEC) ? it : it.skip
  if (!fs.existsSync(SPEC)) console.warn(`SPEC not found at ${SPEC}: skipping the SPEC half of the error-table test`)

  specIt('has a message for every code in SPEC §4–§5', () => {
    const codes = specCodes(fs.readFileSync(SPEC, 'utf8'))
    expect(codes.length).toBeGreaterThan(15) // the parse found the sections
    expect(codes).toContain('SCAN_TOKEN_INVALID')
    expect(codes.filter((c) => !ERROR_MESSAGES[c])).toEqual([])
  })

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

  it('falls back on the title, then the status, for a code it does not know', () => {
    expect(messageFor(new ApiError(422, 'NEW_RULE', '新规则不允许'))).toBe('新规则不允许')
    expect(messageFor(new ApiError(429, 'HTTP_429', ''))).toMatch(/频繁/)
    expect(messageFor(new NetworkError('request:fail timeout'))).toMatch(/超时/)
  })
})

/**
 * The in-memory fake server against the real server's OpenAPI document: the
 * judge (test/contract.ts) refuses what the document does not allow, and
 * every branch of the fake — each path, status and code it can answer — is
 * put before it here, besides every answer the page tests make it give.
 */
import { describe, expect, it } from '@jest/globals'
import { contractViolations, operationFor } from './contract'
import { DRUGS, FakeServer, type FakeRequest } from './fake-server'

describe('the contract judge', () => {
  it('finds the operation of a path with parameters', () => {
    expect(operationFor('GET', '/registrations/0f0e')?.template).toBe('/registrations/{id}')
    expect(operationFor('GET', '/inspection/pharmacies/p1/registrations')?.template).toBe('/inspection/pharmacies/{id}/registrations')
    expect(operationFor('GET', '/registrations/0f0e/items')).toBeUndefined()
  })

  it('accepts an answer the document allows', () => {
    expect(contractViolations('GET', '/policy', 200, { per_sale_limit: 2, window_limit: 5, window_days: 7, window_action: 'block', refuse_minors: true })).toEqual([])
  })

  it.each([
    ['a path the server does not have', 'GET', '/no/such/path', 200, {}, /no such operation/],
    ['a method the path does not take', 'DELETE', '/policy', 204, undefined, /no such operation/],
    ['a status the operation does not answer', 'GET', '/policy', 418, { code: 'NOT_FOUND' }, /status not documented/],
    ['a code the server does not know', 'GET', '/drugs/by-barcode/1', 404, { code: 'NO_SUCH_DRUG' }, /NO_SUCH_DRUG is not in x-error-codes/],
    ['a field code the server does not know', 'POST', '/alerts/a1/resolve', 400, { code: 'VALIDATION_FAILED', errors: [{ field: 'note', code: 'EMPTY', message: '' }] }, /EMPTY/],
    ['a problem without a code', 'GET', '/policy', 401, { title: '未登录' }, /without a code/],
    ['a body missing a required field', 'GET', '/policy', 200, { per_sale_limit: 2 }, /must have required property 'window_limit'/],
    ['a body with a field of the wrong type', 'GET', '/policy', 200, { per_sale_limit: '2', window_limit: 5, window_days: 7, window_action: 'block', refuse_minors: true }, /per_sale_limit must be integer/],
  ])('refuses %s', (_what, method, path, status, body, why) => {
    expect(contractViolations(method as string, path as string, status as number, body).join('\n')).toMatch(why as RegExp)
  })
})

describe('every answer the fake server can give', () => {
  const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, query: Record<string, string> = {}): FakeRequest =>
    ({ method, path, body, headers, query })

  it('is one the real server documents', () => {
    const s = new FakeServer()
    const auth = { Authorization: `Bearer ${s.signIn()}` }
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth, query = {}) =>
      s.handle(req(method, path, body, headers, query)) // throws on drift
    const statuses: string[] = []
    const seen = (r: { status: number; body?: unknown }) => statuses.push(`${r.status} ${(r.body as any)?.code ?? ''}`.trim())

    seen(call('POST', '/auth/wechat/login', { code: 'bound-code' }, {}))
    const unbound = call('POST', '/auth/wechat/login', { code: 'new-code' }, {})
    seen(unbound)
    const bindToken = (unbound.body as any).bind_token
    seen(call('POST', '/auth/wechat/bind', { bind_token: bindToken, invite_code: 'WRONG' }, {}))
    seen(call('POST', '/auth/wechat/bind', { bind_token: bindToken, invite_code: s.inviteCode }, {}))
    const fresh = (call('POST', '/auth/wechat/login', { code: 'new-code' }, {}).body as any).bind_token
    seen(call('POST', '/auth/wechat/bind', { bind_token: fresh, invite_code: s.inviteCode }, {}))
    seen(call('GET', '/policy', undefined, {}))
    seen(call('GET', '/policy'))
    seen(call('GET', `/drugs/by-barcode/${DRUGS[0].barcode}`))
    seen(call('GET', '/drugs/by-barcode/6901234560099'))

    const scan = call('POST', '/scan/id-card', { card_reader: { name: '张三', id_number: '11010519491231002X' } })
    seen(scan)
    seen(call('POST', '/scan/ss-card', { card_reader: { name: '张三', id_number: '11010519491231002X' } }))
    const token = (scan.body as any).scan_token
    const sale = { scan_token: token, items: [{ barcode: DRUGS[0].barcode, quantity: 2, batch_no: 'B1' }] }
    const created = call('POST', '/registrations', sale, { ...auth, 'Idempotency-Key': 'k1' })
    seen(created)
    seen(call('POST', '/registrations', sale, { ...auth, 'Idempotency-Key': 'k1' }))
    seen(call('POST', '/registrations', { ...sale, prescription_no: 'P' }, { ...auth, 'Idempotency-Key': 'k1' }))
    seen(call('POST', '/registrations', { ...sale, scan_token: 'scan-unknown' }))
    seen(call('POST', '/registrations', { items: sale.items }))
    s.refuseWith = 'MINOR_NOT_ALLOWED'
    seen(call('POST', '/registrations', sale))
    s.refuseWith = ''
    seen(call('POST', '/registrations', { ...sale, items: [{ ...sale.items[0], quantity: 4 }] }))
    s.policy = { ...s.policy, window_action: 'alert' }
    seen(call('POST', '/registrations', { ...sale, items: [{ ...sale.items[0], quantity: 4 }] }))
    seen(call('GET', '/registrations', undefined, auth, { page: '1', page_size: '20' }))
    seen(call('GET', `/registrations/${(created.body as any).id}`))
    seen(call('GET', '/registrations/00000000-0000-4000-8000-000000000999'))

    seen(call('GET', '/pharmacy/staff'))
    const invited = call('POST', '/pharmacy/staff', { display_name: '新店员' })
    seen(invited)
    const staffId = (invited.body as any).staff.id
    seen(call('POST', `/pharmacy/staff/${staffId}/invite`))
    seen(call('DELETE', `/pharmacy/staff/${staffId}`))
    seen(call('DELETE', '/pharmacy/staff/s0'))
    seen(call('DELETE', '/pharmacy/staff/nobody'))

    seen(call('GET', '/inspection/pharmacies', undefined, auth, { q: '仁和' }))
    seen(call('GET', '/inspection/pharmacies/p1'))
    seen(call('GET', '/inspection/pharmacies/nowhere'))
    seen(call('GET', '/inspection/pharmacies/p1/registrations'))
    const photo = call('POST', '/inspection/photos', { image: 'wxfile://a.jpg' })
    seen(photo)
    const key = (photo.body as any).key
    seen(call('GET', `/inspection/photos/${key}`))
    seen(call('GET', `/inspection/photos/${key}/thumbnail`))
    seen(call('GET', '/inspection/photos/00000000-0000-4000-9000-999999999999'))
    const inspect = (body: unknown, k?: string) =>
      call('POST', '/inspection/pharmacies/p1/inspections', body, k ? { ...auth, 'Idempotency-Key': k } : auth)
    seen(inspect({ result: 'compliant', disposition: 'none', photo_keys: [key] }, 'i1'))
    seen(inspect({ result: 'issues_found', findings: ' ', disposition: 'rectify' }))
    seen(inspect({ result: 'compliant', disposition: 'rectify' }))
    seen(inspect({ result: 'compliant', disposition: 'none', photo_keys: ['00000000-0000-4000-9000-999999999999'] }))

    seen(call('GET', '/alerts', undefined, auth, { status: 'open' }))
    seen(call('POST', '/alerts/a1/resolve', { note: '' }))
    seen(call('POST', '/alerts/a1/resolve', { note: '已约谈' }))
    seen(call('POST', '/alerts/a1/resolve', { note: '再次' }))
    seen(call('POST', '/alerts/nothing/resolve', { note: '已约谈' }))
    seen(call('POST', '/auth/logout'))

    // Each branch above answered (and passed the judge); the refusals among them:
    expect(statuses.filter((x) => !/^20\d/.test(x)).sort()).toEqual([
      '400 VALIDATION_FAILED',
      '400 VALIDATION_FAILED',
      '401 UNAUTHORIZED',
      '403 CANNOT_REMOVE_MANAGER',
      '404 ALERT_NOT_FOUND',
      '404 DRUG_NOT_FOUND',
      '404 PHARMACY_NOT_FOUND',
      '404 PHOTO_NOT_FOUND',
      '404 REGISTRATION_NOT_FOUND',
      '404 STAFF_NOT_FOUND',
      '409 ALERT_ALREADY_RESOLVED',
      '422 BIND_TOKEN_INVALID',
      '422 DISPOSITION_INCONSISTENT',
      '422 FINDINGS_REQUIRED',
      '422 IDEMPOTENCY_KEY_REUSED',
      '422 INVITE_INVALID',
      '422 MINOR_NOT_ALLOWED',
      '422 PHOTO_INVALID',
      '422 SCAN_TOKEN_INVALID',
      '422 WINDOW_LIMIT_EXCEEDED',
    ])
  })
})

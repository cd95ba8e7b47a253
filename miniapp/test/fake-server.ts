/**
 * An in-memory Yaojian server speaking the contract the mini-program uses:
 * enough of auth, drugs, scans and registrations (with Idempotency-Key replay
 * like the real one) to test behaviour end to end through `wx.request`.
 */
import type { Drug, Registration } from '../miniprogram/api/contract'

export interface FakeRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: any
}
export interface FakeResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export const DRUGS: Drug[] = [
  {
    id: 'd1', barcode: '6901234560015', approval_number: '国药准字H10000001', name: '复方盐酸伪麻黄碱缓释胶囊',
    strength: '10粒', manufacturer: '某药业', package_unit: '盒', special_category: 'ephedrine', rx_only: false, active: true,
  },
  {
    id: 'd2', barcode: '6901234560046', approval_number: '国药准字H10000004', name: '复方磷酸可待因口服溶液',
    strength: '100ml', manufacturer: '某制药', package_unit: '瓶', special_category: 'codeine', rx_only: true, active: true,
  },
  {
    id: 'd3', barcode: '6901234560053', approval_number: '国药准字H10000005', name: '复方甘草片',
    strength: '100片', manufacturer: '某药厂', package_unit: '瓶', special_category: 'liquorice', rx_only: false, active: true,
    max_per_purchase: 1,
  },
]

function problem(status: number, code: string, title = code): FakeResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
    body: { type: 'about:blank', title, status, code, errors: [] },
  }
}

export class FakeServer {
  registrations: Registration[] = []
  requests: FakeRequest[] = []
  tokens = new Set<string>()
  bindTokens = new Set<string>()
  scanTokens = new Set<string>()
  /** WeChat codes whose account is bound. */
  boundCodes = new Set<string>(['bound-code'])
  inviteCode = 'GOOD1234'
  /** Refuse registrations with this code (e.g. WINDOW_LIMIT_EXCEEDED). */
  refuseWith = ''
  private idem = new Map<string, { hash: string; res: FakeResponse }>()
  private n = 0

  /** A signed-in session, as after a login. */
  signIn(): string {
    const t = `tok-${++this.n}`
    this.tokens.add(t)
    return t
  }

  handle(req: FakeRequest): FakeResponse {
    this.requests.push(req)
    const { method, path } = req
    if (method === 'POST' && path === '/auth/wechat/login') return this.login(req.body.code)
    if (method === 'POST' && path === '/auth/wechat/bind') return this.bind(req.body)
    if (!this.authorised(req)) return problem(401, 'UNAUTHORIZED', '未登录或令牌无效')
    if (method === 'POST' && path === '/auth/logout') {
      this.tokens.delete(req.headers.Authorization.slice(7))
      return { status: 200, body: { ok: true } }
    }
    let m = /^\/drugs\/by-barcode\/(\d+)$/.exec(path)
    if (method === 'GET' && m) {
      const d = DRUGS.find((x) => x.barcode === m![1])
      return d ? { status: 200, body: d } : problem(404, 'DRUG_NOT_FOUND')
    }
    if (method === 'POST' && (path === '/scan/id-card' || path === '/scan/ss-card')) return this.scan(path)
    if (method === 'POST' && path === '/registrations') return this.register(req)
    if (method === 'GET' && path === '/registrations') {
      const page = Number(req.query.page || 1)
      const size = Number(req.query.page_size || 20)
      const items = this.registrations.slice().reverse()
      return { status: 200, body: { items: items.slice((page - 1) * size, page * size), total: items.length, page, page_size: size } }
    }
    if (path.startsWith('/pharmacy/staff')) return this.staffRoute(method, path, req.body)
    m = /^\/registrations\/([\w-]+)$/.exec(path)
    if (method === 'GET' && m) {
      const r = this.registrations.find((x) => x.id === m![1])
      return r ? { status: 200, body: r } : problem(404, 'REGISTRATION_NOT_FOUND')
    }
    return problem(404, 'NOT_FOUND')
  }

  staff: any[] = [
    { id: 's0', role: 'pharmacy_manager', display_name: '李店长', bound: true, created_at: '2026-01-01T09:00:00+08:00' },
  ]

  private staffRoute(method: string, path: string, body: any): FakeResponse {
    if (method === 'GET' && path === '/pharmacy/staff') return { status: 200, body: this.staff }
    const invited = (s: any) => ({ status: 201, body: { staff: s, invite_code: `INV${s.id}`, invite_expires_at: '2026-01-08T09:00:00+08:00' } })
    if (method === 'POST' && path === '/pharmacy/staff') {
      const s = { id: `s${++this.n}`, role: 'clerk', display_name: body.display_name, bound: false, created_at: '2026-01-05T09:00:00+08:00' }
      this.staff.push(s)
      return invited(s)
    }
    const m = /^\/pharmacy\/staff\/(\w+)(\/invite)?$/.exec(path)
    const s = m && this.staff.find((x) => x.id === m[1])
    if (!s) return problem(404, 'STAFF_NOT_FOUND')
    if (method === 'POST' && m![2]) return { ...invited(s), status: 200 }
    if (method === 'DELETE') {
      if (s.role === 'pharmacy_manager') return problem(422, 'CANNOT_REMOVE_MANAGER')
      this.staff = this.staff.filter((x) => x !== s)
      return { status: 204 }
    }
    return problem(404, 'NOT_FOUND')
  }

  private authorised(req: FakeRequest): boolean {
    const h = req.headers.Authorization || ''
    return h.startsWith('Bearer ') && this.tokens.has(h.slice(7))
  }

  private user(role = 'clerk') {
    return { id: 'u1', role, display_name: '王店员', must_change_password: false, pharmacy_id: 'p1', pharmacy_name: '仁和大药房' }
  }

  private login(code: string): FakeResponse {
    if (this.boundCodes.has(code)) {
      return { status: 200, body: { bound: true, token: this.signIn(), expires_in: 7200, user: this.user() } }
    }
    const bt = `bind-${++this.n}`
    this.bindTokens.add(bt)
    return { status: 200, body: { bound: false, bind_token: bt, expires_in: 600 } }
  }

  private bind(b: { bind_token: string; invite_code: string }): FakeResponse {
    const ok = this.bindTokens.delete(b.bind_token) // single use, like the real one
    if (!ok) return problem(401, 'BIND_TOKEN_INVALID')
    if (b.invite_code !== this.inviteCode) return problem(422, 'INVITE_INVALID')
    return { status: 200, body: { token: this.signIn(), expires_in: 7200, user: this.user() } }
  }

  private scan(path: string): FakeResponse {
    const t = `scan-${++this.n}`
    this.scanTokens.add(t)
    return {
      status: 200,
      body: {
        scan_token: t, source: path === '/scan/id-card' ? 'id_card' : 'ss_card',
        name_masked: '张*', id_masked: '110105********002X', gender: 'female', age: 40, card_expired: false,
      },
    }
  }

  private register(req: FakeRequest): FakeResponse {
    const key = req.headers['Idempotency-Key']
    const hash = JSON.stringify(req.body)
    if (key) {
      const seen = this.idem.get(key)
      if (seen) return seen.hash === hash ? seen.res : problem(422, 'IDEMPOTENCY_KEY_REUSED')
    }
    const res = this.decide(req.body)
    if (key) this.idem.set(key, { hash, res })
    return res
  }

  private decide(b: any): FakeResponse {
    if (b.scan_token && !this.scanTokens.has(b.scan_token)) return problem(422, 'SCAN_TOKEN_INVALID')
    if (!b.scan_token && !b.buyer) return problem(422, 'BUYER_REQUIRED')
    if (this.refuseWith) return problem(422, this.refuseWith)
    const items = b.items.map((i: any) => {
      const d = DRUGS.find((x) => x.barcode === i.barcode)!
      return { ...i, drug_name: d.name, strength: d.strength, manufacturer: d.manufacturer, package_unit: d.package_unit }
    })
    const r: Registration = {
      id: `00000000-0000-4000-8000-${String(++this.n).padStart(12, '0')}`,
      pharmacy_id: 'p1', pharmacy_name: '仁和大药房', district_code: '420102', clerk_id: 'u1',
      buyer: { name_masked: '张*', id_masked: '110105********002X', gender: 'female', age: 40 },
      source: b.scan_token ? 'id_card' : 'manual', items,
      total_packages: items.reduce((n: number, i: any) => n + i.quantity, 0),
      needs_review: !b.scan_token, alerts: [], created_at: '2026-01-05T14:03:00+08:00',
      prescription_no: b.prescription_no, client_time: b.client_time,
    }
    this.registrations.push(r)
    return { status: 201, body: r }
  }
}

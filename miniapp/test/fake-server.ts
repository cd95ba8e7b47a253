/**
 * An in-memory Yaojian server speaking the contract the mini-program uses:
 * enough of auth, drugs, the sales policy, scans (with the buyer's remaining
 * allowance) and registrations (with Idempotency-Key replay and the rolling
 * window like the real one) to test behaviour end to end through `wx.request`.
 */
import { contractViolations } from './contract'
import type { Alert, Drug, Inspection, PharmacySummary, PhotoRef, Registration, SalesPolicy } from '../miniprogram/api/contract'

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

function fieldProblem(status: number, code: string, field: string, fieldCode: string, message: string): FakeResponse {
  const r = problem(status, code)
  ;(r.body as any).errors = [{ field, code: fieldCode, message }]
  return r
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
  /** Refuse registrations with this code (e.g. MINOR_NOT_ALLOWED). */
  refuseWith = ''
  /** The city's rules (`GET /policy`); the defaults of SPEC §4.2 unless a test changes them. */
  policy: SalesPolicy = { per_sale_limit: 2, window_limit: 5, window_days: 7, window_action: 'block', refuse_minors: true }
  /** Packages the (one) buyer bought at other pharmacies within the window. */
  boughtElsewhere = 0
  private idem = new Map<string, { hash: string; res: FakeResponse }>()
  private n = 0

  /** A signed-in session, as after a login. */
  signIn(): string {
    const t = `tok-${++this.n}`
    this.tokens.add(t)
    return t
  }

  /**
   * Answers a request — and fails the test when the answer is one the real
   * server's OpenAPI document does not allow (test/contract.ts).
   */
  handle(req: FakeRequest): FakeResponse {
    this.requests.push(req)
    const res = this.route(req)
    const drift = contractViolations(req.method, req.path, res.status, res.body)
    if (drift.length) throw new Error(`the fake server drifted from the OpenAPI document:\n${drift.join('\n')}`)
    return res
  }

  private route(req: FakeRequest): FakeResponse {
    const { method, path } = req
    if (method === 'POST' && path === '/auth/wechat/login') return this.login(req.body.code)
    if (method === 'POST' && path === '/auth/wechat/bind') return this.bind(req.body)
    if (!this.authorised(req)) return problem(401, 'UNAUTHORIZED', '未登录或令牌无效')
    if (method === 'GET' && path === '/policy') return { status: 200, body: this.policy }
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
    if (path.startsWith('/inspection/')) return this.inspectionRoute(req)
    if (path.startsWith('/alerts')) return this.alertRoute(req)
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
      if (s.role === 'pharmacy_manager') return problem(403, 'CANNOT_REMOVE_MANAGER')
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
    if (!ok) return problem(422, 'BIND_TOKEN_INVALID') // as the server: 422, not 401
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
        window_remaining: Math.max(0, this.policy.window_limit - this.bought()), window_days: this.policy.window_days,
      },
    }
  }

  private register(req: FakeRequest): FakeResponse {
    return this.idempotent(req, () => this.decide(req.body))
  }

  /** Creating POSTs: the same key and body replay the first answer; another body → 422. */
  private idempotent(req: FakeRequest, create: () => FakeResponse): FakeResponse {
    const key = req.headers['Idempotency-Key'] ? `${req.path} ${req.headers['Idempotency-Key']}` : ''
    const hash = JSON.stringify(req.body)
    if (key) {
      const seen = this.idem.get(key)
      if (seen) return seen.hash === hash ? seen.res : problem(422, 'IDEMPOTENCY_KEY_REUSED')
    }
    const res = create()
    if (key) this.idem.set(key, { hash, res })
    return res
  }

  // ---- district side -------------------------------------------------------

  pharmacies: PharmacySummary[] = [
    {
      id: 'p1', name: '仁和大药房', licence_number: '鄂CA0270001', address: '武汉市江岸区解放大道 1 号',
      contact_phone: '027-80000001', district_code: '420102', district_name: '江岸区', status: 'active',
      registrations_30d: 12, refused_30d: 2, open_alerts: 1,
    },
    {
      id: 'p2', name: '同济堂药店', licence_number: '鄂CA0270002', address: '武汉市江岸区中山大道 88 号',
      contact_phone: '', district_code: '420102', district_name: '江岸区', status: 'suspended',
      registrations_30d: 0, refused_30d: 0, open_alerts: 0, last_inspected_at: '2026-01-02T10:00:00+08:00',
    },
  ]
  photos = new Map<string, PhotoRef & { file: string }>()
  inspections: Inspection[] = []
  alerts: Alert[] = [
    {
      id: 'a1', kind: 'WINDOW_LIMIT', status: 'open', pharmacy_id: 'p1', pharmacy_name: '仁和大药房', district_code: '420102',
      detail: { already: 4, requested: 2, limit: 5, days: 7 }, created_at: '2026-01-05T10:00:00+08:00',
    },
    {
      id: 'a2', kind: 'MINOR_ATTEMPT', status: 'open', pharmacy_id: 'p2', pharmacy_name: '同济堂药店', district_code: '420102',
      detail: { age: 16 }, created_at: '2026-01-05T11:00:00+08:00',
    },
  ]

  private inspectionRoute(req: FakeRequest): FakeResponse {
    const { method, path } = req
    if (method === 'GET' && path === '/inspection/pharmacies') {
      const q = (req.query.q || '').trim()
      const hits = this.pharmacies.filter((p) => !q || [p.name, p.licence_number, p.address].some((v) => v.includes(q)))
      return this.page(hits, req)
    }
    if (method === 'POST' && path === '/inspection/photos') {
      const key = `00000000-0000-4000-9000-${String(++this.n).padStart(12, '0')}`
      const ref = { key, url: `/api/v1/inspection/photos/${key}`, thumbnail_url: `/api/v1/inspection/photos/${key}/thumbnail` }
      this.photos.set(key, { ...ref, file: req.body.image })
      return { status: 201, body: ref }
    }
    let m = /^\/inspection\/photos\/([\w-]+)(\/thumbnail)?$/.exec(path)
    if (method === 'GET' && m) return this.photos.has(m[1]) ? { status: 200, body: 'JPEG' } : problem(404, 'PHOTO_NOT_FOUND')
    m = /^\/inspection\/pharmacies\/(\w+)(\/registrations|\/inspections)?$/.exec(path)
    const p = m && this.pharmacies.find((x) => x.id === m![1])
    if (!p) return problem(404, 'PHARMACY_NOT_FOUND')
    if (method === 'GET' && !m![2]) {
      return {
        status: 200,
        body: {
          pharmacy: p,
          recent_registrations: this.registrations.filter((r) => r.pharmacy_id === p.id).reverse().slice(0, 50),
          refused_attempts: p.id === 'p1'
            ? [{ id: 'r1', clerk_id: 'u1', code: 'MINOR_NOT_ALLOWED', detail: { age: 16 }, created_at: '2026-01-04T09:00:00+08:00' }]
            : [],
          open_alerts: this.alerts.filter((a) => a.pharmacy_id === p.id && a.status === 'open'),
          inspections: this.inspections.filter((i) => i.pharmacy_id === p.id).reverse().slice(0, 5),
        },
      }
    }
    if (method === 'GET' && m![2] === '/registrations') {
      return this.page(this.registrations.filter((r) => r.pharmacy_id === p.id).reverse(), req)
    }
    if (method === 'POST' && m![2] === '/inspections') return this.idempotent(req, () => this.inspect(p, req.body))
    return problem(404, 'NOT_FOUND')
  }

  private inspect(p: PharmacySummary, b: any): FakeResponse {
    if (b.result === 'issues_found' && !String(b.findings || '').trim()) {
      return fieldProblem(422, 'FINDINGS_REQUIRED', 'findings', 'REQUIRED', '请填写检查发现')
    }
    if (b.result === 'compliant' && b.disposition !== 'none') {
      return fieldProblem(422, 'DISPOSITION_INCONSISTENT', 'disposition', 'DISPOSITION_INCONSISTENT', '合格时处置应为 none')
    }
    const keys: string[] = b.photo_keys || []
    if (keys.some((k) => !this.photos.has(k))) return fieldProblem(422, 'PHOTO_INVALID', 'photo_keys', 'PHOTO_INVALID', '照片无效')
    const i: Inspection = {
      id: `00000000-0000-4000-a000-${String(++this.n).padStart(12, '0')}`,
      pharmacy_id: p.id, pharmacy_name: p.name, district_code: p.district_code, inspector_id: 'u9', inspector_name: '周检查',
      result: b.result, findings: b.findings ?? '', disposition: b.disposition,
      photos: keys.map((k) => { const { file: _f, ...ref } = this.photos.get(k)!; return ref }),
      inspected_at: b.inspected_at || '2026-01-05T15:00:00+08:00', created_at: '2026-01-05T15:00:00+08:00',
    }
    this.inspections.push(i)
    p.last_inspected_at = i.inspected_at
    return { status: 201, body: i }
  }

  private alertRoute(req: FakeRequest): FakeResponse {
    const { method, path, query } = req
    if (method === 'GET' && path === '/alerts') {
      const hits = this.alerts.filter(
        (a) => (!query.status || a.status === query.status) && (!query.kind || a.kind === query.kind) &&
          (!query.pharmacy_id || a.pharmacy_id === query.pharmacy_id),
      )
      return this.page(hits, req)
    }
    const m = /^\/alerts\/(\w+)\/resolve$/.exec(path)
    const a = m && this.alerts.find((x) => x.id === m[1])
    if (method !== 'POST' || !a) return problem(404, 'ALERT_NOT_FOUND')
    const note = String(req.body?.note || '').trim()
    if (!note) return fieldProblem(400, 'VALIDATION_FAILED', 'note', 'REQUIRED', '处理说明必填，最多 1000 字')
    if (a.status === 'resolved') return problem(409, 'ALERT_ALREADY_RESOLVED')
    Object.assign(a, { status: 'resolved', resolution_note: note, resolved_at: '2026-01-05T16:00:00+08:00', resolved_by: 'u9' })
    const p = this.pharmacies.find((x) => x.id === a.pharmacy_id)
    if (p) p.open_alerts -= 1
    return { status: 200, body: a }
  }

  private page<T>(all: T[], req: FakeRequest): FakeResponse {
    const page = Number(req.query.page || 1)
    const size = Number(req.query.page_size || 20)
    return { status: 200, body: { items: all.slice((page - 1) * size, page * size), total: all.length, page, page_size: size } }
  }

  /** Packages the buyer has bought within the window, here and elsewhere. */
  bought(): number {
    return this.boughtElsewhere + this.registrations.reduce((n, r) => n + r.total_packages, 0)
  }

  private decide(b: any): FakeResponse {
    if (b.scan_token && !this.scanTokens.has(b.scan_token)) return problem(422, 'SCAN_TOKEN_INVALID')
    if (!b.scan_token && !b.buyer)
      // as the server: 400 VALIDATION_FAILED naming the field
      return fieldProblem(400, 'VALIDATION_FAILED', 'scan_token', 'BUYER_REQUIRED', 'scan_token 与 buyer 二选一')
    if (this.refuseWith) return problem(422, this.refuseWith)
    const total = b.items.reduce((n: number, i: any) => n + i.quantity, 0)
    const over = this.bought() + total > this.policy.window_limit
    if (over && this.policy.window_action !== 'alert') return problem(422, 'WINDOW_LIMIT_EXCEEDED', '超过累计限购')
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
      needs_review: !b.scan_token, alerts: over ? ['WINDOW_LIMIT'] : [], created_at: '2026-01-05T14:03:00+08:00',
      prescription_no: b.prescription_no, client_time: b.client_time,
    }
    this.registrations.push(r)
    return { status: 201, body: r }
  }
}

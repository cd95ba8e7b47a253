/**
 * The shared pieces of the list pages, driven through real pages: FilterForm
 * (查询 / 重置, and the server's field errors beside their filters through its
 * ref), PagedTable (the error with its retry, cell slots, the empty text,
 * paging back to the server), ListTotal, LabelSelect, ConfirmDialog and
 * ImportButton.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import AuditPage from '../console/pages/AuditPage.vue'
import PharmaciesPage from '../console/pages/PharmaciesPage.vue'
import { clearSession, setSession, type User } from '@shared/session'
import { json, mockFetch, problem } from './fetch-mock'
import { click, formItemText, mountPage, settle, typeInto } from './mount'

const admin: User = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', role: 'city_admin', display_name: '管理员', username: 'admin', must_change_password: false }
const actor = '16fd2706-8baf-433b-82eb-8c7fada847da'

const entry = {
  id: 41,
  seq: 7,
  stream: 'city',
  action: 'auth.login',
  actor_user_id: actor,
  actor_role: 'city_admin',
  object_type: 'user',
  object_id: actor,
  detail: { ok: true },
  created_at: '2025-03-01T09:00:00+08:00',
}
const pharmacy = {
  id: 'b5a1c1c4-4c1e-4a57-9a43-6f6c3f8e2d10',
  name: '仁心大药房',
  licence_number: '鄂DA0270001',
  uscc: '91420100MA4KXXXX0X',
  uscc_flagged: false,
  district_code: '420102',
  address: '解放大道 1 号',
  contact_phone: '027-85551234',
  status: 'active',
  created_at: '2025-01-01T09:00:00+08:00',
  updated_at: '2025-01-02T09:00:00+08:00',
}

const page = <T>(items: T[], total = items.length, p = 1) => json({ items, total, page: p, page_size: 20 })
const text = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)?.textContent ?? ''
const query = (search: string) => Object.fromEntries(new URLSearchParams(search))

beforeEach(() => setSession('tok', admin, 7200))
afterEach(() => {
  clearSession()
  vi.unstubAllGlobals()
})

describe('PagedTable and FilterForm on the audit page', () => {
  it('shows the rows with their cell templates and the total, and filters from a cell', async () => {
    const { seen } = mockFetch({ 'GET /api/v1/admin/audit': () => page([entry]) })
    const { wrapper } = await mountPage(AuditPage, '/audit')
    expect(text('audit-total')).toBe('共 1 条')
    expect(text('audit-table')).toContain('auth.login')
    // #actor and #detail are the page's own templates, handed on to t-table.
    expect(text(`audit-actor-${entry.id}`)).toContain(actor.slice(0, 8))
    expect(text('audit-table')).toContain('{"ok":true}')

    await click(`audit-actor-${entry.id}`)
    expect(query(seen[seen.length - 1].search)).toEqual({ actor_user_id: actor, page: '1', page_size: '20' })
    wrapper.unmount()
  })

  it('searches with the typed filters and resets to none', async () => {
    const { seen } = mockFetch({ 'GET /api/v1/admin/audit': () => page([]) })
    const { wrapper } = await mountPage(AuditPage, '/audit')
    expect(text('audit-table')).toContain('没有符合条件的审计记录')
    expect(document.querySelector('[data-testid="audit-filters"]')?.tagName).toBe('FORM')

    await typeInto('audit-filter-action', 'auth.login')
    await click('audit-search')
    expect(query(seen[seen.length - 1].search)).toEqual({ action: 'auth.login', page: '1', page_size: '20' })

    await click('audit-reset')
    expect(query(seen[seen.length - 1].search)).toEqual({ page: '1', page_size: '20' })
    wrapper.unmount()
  })

  it('sends nothing while a filter is invalid', async () => {
    const { seen } = mockFetch({ 'GET /api/v1/admin/audit': () => page([]) })
    const { wrapper } = await mountPage(AuditPage, '/audit')
    await typeInto('audit-filter-actor', 'not-a-uuid')
    await click('audit-search')
    expect(seen).toHaveLength(1)
    expect(formItemText('audit-filter-actor')).toContain('应为用户 ID')
    wrapper.unmount()
  })

  it('shows a refusal above the table and beside its filter, and retries', async () => {
    mockFetch({
      'GET /api/v1/admin/audit': [
        () => problem(422, 'INVALID_PARAMETER', '参数有误', [{ field: 'action', code: 'INVALID_PARAMETER', message: '操作名称有误' }]),
        () => page([entry]),
      ],
    })
    const { wrapper } = await mountPage(AuditPage, '/audit')
    expect(document.querySelector('[data-testid="audit-error"]')).not.toBeNull()
    expect(text('audit-table')).toContain('加载失败')
    expect(formItemText('audit-filter-action')).toContain('操作名称有误')

    await click('audit-error-retry')
    expect(document.querySelector('[data-testid="audit-error"]')).toBeNull()
    expect(text('audit-table')).toContain('auth.login')
    wrapper.unmount()
  })

  it('pages back to the server', async () => {
    const { seen } = mockFetch({
      'GET /api/v1/admin/audit': (req) => {
        const p = Number(new URL(req.url).searchParams.get('page'))
        return page([{ ...entry, id: p, action: `action.page${p}` }], 45, p)
      },
    })
    const { wrapper } = await mountPage(AuditPage, '/audit')
    expect(text('audit-total')).toBe('共 45 条')
    const next = document.querySelector('[data-testid="audit-table"] .t-pagination__btn-next') as HTMLElement
    next.click()
    await settle()
    expect(query(seen[seen.length - 1].search)).toEqual({ page: '2', page_size: '20' })
    expect(text('audit-table')).toContain('action.page2')
    wrapper.unmount()
  })
})

describe('LabelSelect, ConfirmDialog and ImportButton on the pharmacies page', () => {
  it('filters by a status chosen from its labels', async () => {
    const { seen } = mockFetch({ 'GET /api/v1/admin/pharmacies': () => page([pharmacy]) })
    const { wrapper } = await mountPage(PharmaciesPage, '/pharmacies')
    expect(text('pharmacies-total')).toBe('共 1 家')

    const select = document.querySelector('[data-testid="pharmacies-filter-status"]') as HTMLElement
    ;(select.querySelector('input') ?? select).click()
    await settle()
    const options = [...document.querySelectorAll('.t-select-option')].map((o) => o.textContent?.trim())
    expect(options).toEqual(['正常', '停业'])
    ;([...document.querySelectorAll('.t-select-option')].find((o) => o.textContent?.trim() === '停业') as HTMLElement).click()
    await settle()
    await click('pharmacies-search')
    expect(query(seen[seen.length - 1].search)).toEqual({ status: 'suspended', page: '1', page_size: '20' })
    wrapper.unmount()
  })

  it('asks before suspending, shows a refusal in the dialog, then applies the change', async () => {
    const { seen } = mockFetch({
      'GET /api/v1/admin/pharmacies': () => page([pharmacy]),
      [`PATCH /api/v1/admin/pharmacies/${pharmacy.id}`]: [
        () => problem(409, 'CONFLICT', '状态已变化'),
        () => json({ ...pharmacy, status: 'suspended' }),
      ],
    })
    const { wrapper } = await mountPage(PharmaciesPage, '/pharmacies')
    await click(`pharmacy-suspend-${pharmacy.id}`)
    expect(text('pharmacy-status-dialog')).toContain('仁心大药房')
    const confirm = () =>
      [...document.querySelectorAll('.t-dialog button')].find((b) => b.textContent?.trim() === '确认') as HTMLElement

    confirm().click()
    await settle()
    expect(document.querySelector('[data-testid="pharmacy-status-error"]')).not.toBeNull()

    confirm().click()
    await settle()
    const patches = seen.filter((s) => s.method === 'PATCH')
    expect(patches.map((p) => JSON.parse(p.body))).toEqual([{ status: 'suspended' }, { status: 'suspended' }])
    expect(document.querySelector(`[data-testid="pharmacy-activate-${pharmacy.id}"]`)).not.toBeNull()
    wrapper.unmount()
  })

  it('opens the import panel in a drawer', async () => {
    mockFetch({ 'GET /api/v1/admin/pharmacies': () => page([]) })
    const { wrapper } = await mountPage(PharmaciesPage, '/pharmacies')
    expect(document.querySelector('.t-drawer--open')).toBeNull()
    await click('pharmacies-import-open')
    const drawer = document.querySelector('.t-drawer--open')
    expect(drawer?.textContent).toContain('批量导入药店')
    expect(drawer?.querySelector('[data-testid="pharmacies-import-file"]')).not.toBeNull()
    wrapper.unmount()
  })
})

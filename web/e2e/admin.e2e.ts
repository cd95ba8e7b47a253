/**
 * The city admin's work in the console: an import whose bad row is reported
 * with its row number and field errors, then a clean one applied; a new
 * clerk whose invite code is shown once (and binds a WeChat account); an
 * alert resolved with a note.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, useLiveServer } from './server'
import { field, shownTotal, signIn, useBrowser } from './browser'

const live = useLiveServer()
const browser = useBrowser()

function csv(name: string, rows: string[][]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-import-')), name)
  fs.writeFileSync(file, rows.map((r) => r.join(',')).join('\n') + '\n')
  return file
}

describe('the city admin', () => {
  it('imports pharmacies: the dry run reports the bad row, the clean file is applied', async () => {
    const { page } = browser.tab
    await signIn(page, live.server.origin, 'demo-admin', DEMO_PASSWORD)
    await page.getByTestId('menu-pharmacies').click()
    await page.getByTestId('pharmacies-import-open').click()

    const header = ['药店名称', '许可证编号', '区划代码', '地址', '联系电话']
    const good = ['江汉区同仁药房', '鄂CA0279001', '420103', '武汉市江汉区解放大道 500 号', '027-85551234']
    const bad = ['硚口区仁心药店', '鄂CA0279002', '42O104', '武汉市硚口区中山大道 1 号', '1234']
    await page.getByTestId('pharmacies-import-file').setInputFiles(csv('bad.csv', [header, good, bad]))
    await page.getByTestId('pharmacies-import-dry-run').click()
    const rejected = page.getByTestId('pharmacies-import-rejected-table')
    await rejected.locator('tbody tr').first().waitFor()
    const text = (await rejected.textContent()) || ''
    expect(text).toContain('3') // the bad row is the file's row 3 (after the header)
    expect(text).toMatch(/区划代码/)
    expect(await live.server.sql("SELECT 1 FROM pharmacy WHERE licence_number LIKE '鄂CA027900%'")).toEqual([])
    await browser.tab.screenshot('pharmacies-import-dry-run')

    await page.getByTestId('pharmacies-import-file').setInputFiles(csv('good.csv', [header, good]))
    await page.getByTestId('pharmacies-import-dry-run').click()
    await page.getByTestId('pharmacies-import-dry-summary').waitFor()
    await page.getByTestId('pharmacies-import-apply').click()
    await page.getByTestId('pharmacies-import-applied').waitFor()
    const rows = await live.server.sql<{ name: string; district_code: string }>(
      "SELECT name, district_code FROM pharmacy WHERE licence_number = '鄂CA0279001'",
    )
    expect(rows).toEqual([{ name: '江汉区同仁药房', district_code: '420103' }])
  })

  it('creates a clerk whose invite code is shown once, and the code binds a WeChat account', async () => {
    const { page } = browser.tab
    await signIn(page, live.server.origin, 'demo-admin', DEMO_PASSWORD)
    await page.getByTestId('menu-users').click()
    await page.getByTestId('user-create-open').click()
    const dialog = page.getByTestId('user-create-dialog')
    // Validation before sending: nothing typed yet.
    await page.getByTestId('user-create-submit').click()
    await expect.poll(() => dialog.textContent()).toMatch(/请输入姓名|姓名/)

    await field(page, 'user-form-name').fill('汉口新店员')
    await page.getByTestId('user-form-role').click()
    await page.locator('.t-select-option').filter({ hasText: '店员' }).first().click()
    const picker = page.locator('[data-testid="user-form-item-pharmacy_id"] input').first()
    await picker.click()
    await picker.fill('民生')
    await page.locator('.t-select-option').filter({ hasText: '江岸区民生大药房' }).first().click()
    await page.getByTestId('user-create-submit').click()

    const code = (await page.getByTestId('secret-invite-code').textContent())?.trim() || ''
    expect(code).toMatch(/^[A-Z0-9]{6,12}$/)
    expect(await page.getByTestId('secret-warning').textContent()).toMatch(/不再显示|只显示一次/)
    await browser.tab.screenshot('users-invite-shown-once')
    await page.keyboard.press('Escape')
    await page.reload()
    await page.getByTestId('users-table').locator('tbody tr').first().waitFor()
    expect(await page.content()).not.toContain(code)
    const stored = await live.server.sql<{ t: string }>('SELECT row_to_json(i)::text AS t FROM invite i')
    expect(stored.map((r) => r.t).join('\n')).not.toContain(code)

    // The code shown is the one that works.
    const login = await fetch(`${live.server.origin}/api/v1/auth/wechat/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 'openid:oWEB_new_clerk_000000000' }),
    })
    const { bind_token } = await login.json()
    const bound = await fetch(`${live.server.origin}/api/v1/auth/wechat/bind`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bind_token, invite_code: code }),
    })
    expect(bound.status).toBe(200)
    expect((await bound.json()).user.display_name).toBe('汉口新店员')
  })

  it('resolves an open alert with a note', async () => {
    const { page } = browser.tab
    await signIn(page, live.server.origin, 'demo-admin', DEMO_PASSWORD)
    await page.getByTestId('menu-alerts').click()
    const table = page.getByTestId('alerts-table')
    await table.locator('tbody tr').first().waitFor()
    // By district: the page agrees with the API.
    const token = await live.server.token('demo-admin')
    const wuchang = (await (await live.server.api('/alerts?status=open&district=420106&page_size=1', token)).json()).total
    expect(wuchang).toBeGreaterThan(0)
    await field(page, 'alerts-filter-district').fill('420106')
    await page.getByTestId('alerts-search').click()
    await expect.poll(() => shownTotal(page, 'alerts-total')).toBe(wuchang)
    const button = page.locator('[data-testid^="alert-resolve-"]').filter({ hasText: /处理/ }).first()
    const id = ((await button.getAttribute('data-testid')) || '').replace('alert-resolve-', '')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    await button.click()
    // The note is required before anything is sent.
    await page.getByTestId('alert-resolve-submit').click()
    await expect.poll(() => page.getByTestId('alert-resolve-dialog').textContent()).toMatch(/处理说明|请填写/)
    await field(page, 'alert-resolve-note').fill('已约谈药店负责人，台账已补正')
    await page.getByTestId('alert-resolve-submit').click()
    await expect
      .poll(async () => (await live.server.sql<{ status: string }>('SELECT status FROM alert WHERE alert_id = $1', [id]))[0]?.status)
      .toBe('resolved')
    const [row] = await live.server.sql<{ resolution_note: string }>('SELECT resolution_note FROM alert WHERE alert_id = $1', [id])
    expect(row.resolution_note).toBe('已约谈药店负责人，台账已补正')
    await browser.tab.screenshot('alerts-resolved')
  })
})

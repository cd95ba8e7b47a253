/**
 * The registrations page against the demo week: the list agrees with the
 * API, a filter narrows it, the detail shows the masked buyer and the items,
 * an export downloads and reads back with as many rows as the query; an
 * inspector sees only their district while the API refuses another's sale.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, useLiveServer } from './server'
import { field, shownTotal, signIn, useBrowser } from './browser'

const live = useLiveServer()
const browser = useBrowser()

async function apiTotal(query: string, token: string): Promise<number> {
  const r = await live.server.api(`/registrations?${query}`, token)
  expect(r.status).toBe(200)
  return (await r.json()).total
}

describe('registrations', () => {
  it('the list, a filter, a detail and an export agree with the API', async () => {
    const { page } = browser.tab
    const token = await live.server.token('demo-admin')
    await signIn(page, live.server.origin, 'demo-admin', DEMO_PASSWORD)
    await page.getByTestId('menu-registrations').click()
    await page.getByTestId('registrations-table').locator('tbody tr').first().waitFor()
    const all = await apiTotal('page_size=1', token)
    expect(all).toBeGreaterThan(200)
    await expect.poll(() => shownTotal(page, 'registrations-total')).toBe(all)

    // 武昌区 only.
    await field(page, 'registrations-filter-district').fill('420106')
    await page.getByTestId('registrations-search').click()
    const wuchang = await apiTotal('district=420106&page_size=1', token)
    expect(wuchang).toBeGreaterThan(0)
    expect(wuchang).toBeLessThan(all)
    await expect.poll(() => shownTotal(page, 'registrations-total')).toBe(wuchang)
    const rows = page.getByTestId('registrations-table').locator('tbody tr')
    expect(await rows.first().textContent()).toContain('武昌区健康药房')

    // The first row's detail: masked buyer, the items.
    await page.locator('[data-testid^="registration-detail-"]').first().click()
    const drawer = page.getByTestId('registration-drawer')
    await drawer.getByTestId('registration-buyer-id').waitFor()
    expect(await drawer.getByTestId('registration-buyer-name').textContent()).toContain('*')
    expect(await drawer.getByTestId('registration-buyer-id').textContent()).toMatch(/^\s*\d{6}\*+[\dX]{0,4}\s*$/)
    expect(await drawer.getByTestId('registration-items-table').locator('tbody tr').count()).toBeGreaterThan(0)
    await page.keyboard.press('Escape')

    // Export the filtered query as xlsx and read it back.
    await page.getByTestId('export-format').getByText('xlsx', { exact: false }).click()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()])
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-export-')), download.suggestedFilename())
    await download.saveAs(file)
    expect(file).toMatch(/\.xlsx$/)
    const book = new ExcelJS.Workbook()
    await book.xlsx.readFile(file)
    const dataRows = book.worksheets.reduce((n, sheet) => n + Math.max(0, sheet.actualRowCount - 1), 0)
    expect(dataRows).toBe(wuchang)
    await expect.poll(() => page.getByTestId('export-message').textContent()).toContain('已导出')
    await browser.tab.screenshot('registrations-export')
  })

  it('an inspector sees only their district, and the API answers 404 for a sale of another', async () => {
    const { page } = browser.tab
    const token = await live.server.token('demo-inspector')
    await signIn(page, live.server.origin, 'demo-inspector', DEMO_PASSWORD)
    expect(await page.getByTestId('menu-users').count()).toBe(0)
    await page.getByTestId('menu-registrations').click()
    await page.getByTestId('registrations-table').locator('tbody tr').first().waitFor()
    const own = await apiTotal('page_size=1', token)
    const [{ n }] = await live.server.sql<{ n: string }>("SELECT count(*) AS n FROM registration WHERE district_code = '420102'")
    expect(own).toBe(Number(n))
    await expect.poll(() => shownTotal(page, 'registrations-total')).toBe(own)
    const texts = await page.getByTestId('registrations-table').locator('tbody tr').allTextContents()
    expect(texts.length).toBeGreaterThan(0)
    expect(texts.filter((t) => t.includes('武昌区健康药房'))).toEqual([])

    const [other] = await live.server.sql<{ registration_id: string }>(
      "SELECT registration_id FROM registration WHERE district_code = '420106' LIMIT 1",
    )
    const r = await live.server.api(`/registrations/${other.registration_id}`, token)
    expect(r.status).toBe(404)
  })
})

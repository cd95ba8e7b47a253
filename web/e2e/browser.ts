/**
 * Debian's Chromium driven by playwright-core (which never downloads a
 * browser), headless, at 1366×768. Every page is watched: a console error, an
 * uncaught exception, a CSP violation or a failed request the test did not
 * declare expected fails the test; each test leaves a screenshot in
 * e2e/screenshots/ (a few are copied to docs/screenshots/ for the README).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots', import.meta.url))

export interface Watched {
  page: Page
  context: BrowserContext
  /** Answers with these statuses (e.g. 423 of a lockout) are expected by the test. */
  expectStatus(...statuses: number[]): void
  /** Problems seen so far (console errors, failed requests, uncaught exceptions). */
  problems: string[]
  /** Saves `e2e/screenshots/<name>.png` at the viewport's size. */
  screenshot(name: string): Promise<string>
}

export function useBrowser(): { readonly tab: Watched } {
  let browser: Browser
  const live = {} as { tab: Watched }
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium; scripts/test does)`)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    })
    fs.mkdirSync(SCREENSHOTS, { recursive: true })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
    })
    const page = await context.newPage()
    const problems: string[] = []
    const expected = new Set<number>()
    page.on('console', (m) => {
      // A refused request is also logged by the browser as a console error;
      // it is judged by its status below instead.
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (\d+)/.test(m.text())) {
        problems.push(`console error: ${m.text()}`)
      }
    })
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`))
    page.on('requestfailed', (r) => {
      // A download the page cancels itself is not a failure of the server.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`)
    })
    page.on('response', (r) => {
      if (r.status() >= 400 && !expected.has(r.status())) problems.push(`unexpected ${r.status()}: ${r.request().method()} ${r.url()}`)
    })
    live.tab = {
      page,
      context,
      problems,
      expectStatus: (...s) => s.forEach((x) => expected.add(x)),
      async screenshot(name) {
        const file = path.join(SCREENSHOTS, `${name}.png`)
        await page.screenshot({ path: file })
        return file
      },
    }
  })
  afterEach(async (ctx) => {
    const name = ctx.task.name.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 80)
    await live.tab.screenshot(name).catch(() => undefined)
    await live.tab.context.close()
    expect(live.tab.problems, 'the page met no error it did not expect').toEqual([])
  })
  return live
}

/** The text box of a TDesign input carrying `testid` (on its wrapper or on itself). */
export function field(page: Page, testid: string) {
  return page.locator(`[data-testid="${testid}"] input, input[data-testid="${testid}"], [data-testid="${testid}"] textarea`).first()
}

/** Signs in through the console's own form; lands on the first page of the menu. */
export async function signIn(page: Page, origin: string, username: string, password: string): Promise<void> {
  await page.goto(`${origin}/console/login`)
  await field(page, 'login-username').fill(username)
  await field(page, 'login-password').fill(password)
  await page.getByTestId('login-submit').click()
  await page.getByTestId('current-user').waitFor()
}

/** The `共 N 条` under a list, as a number. */
export async function shownTotal(page: Page, testid: string): Promise<number> {
  const text = (await page.getByTestId(testid).textContent()) || ''
  return Number(/共\s*(\d+)/.exec(text)?.[1] ?? NaN)
}

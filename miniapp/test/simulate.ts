/**
 * Renders a page with miniprogram-simulate. Pages are written with the
 * Component() constructor (valid for mini-program pages), which is what
 * simulate runs; tdesign components are replaced by a slot-only stub since
 * miniprogram_npm is not packed in tests. A page's module is loaded once per
 * test file (jest caches it), then rendered afresh for each test.
 */
import * as fs from 'fs'
import * as path from 'path'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../miniprogram')
const ids: Record<string, string> = {}
let stub = ''

export interface Page {
  instance: any
  data: any
  querySelector(sel: string): any
  attach(parent: Element): void
  detach(): void
}

export function renderPage(name: string): Page {
  if (!stub) stub = simulate.load({ id: 'tdesign-stub', template: '<slot/>' })
  if (!ids[name]) {
    const file = path.join(ROOT, 'pages', name, 'index')
    const json = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'))
    const usingComponents: Record<string, string> = {}
    for (const tag of Object.keys(json.usingComponents || {})) usingComponents[tag] = stub
    ids[name] = simulate.load(file, { compiler: 'simulate', rootPath: ROOT, usingComponents })
  }
  const page = simulate.render(ids[name]) as Page
  page.attach(document.createElement('parent-wrapper'))
  return page
}

/** The event a tap on an element with `data-*` attributes hands its handler. */
export function tapEvent(dataset: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) {
  return { currentTarget: { dataset }, target: { dataset }, detail }
}

export function text(page: Page, sel: string): string {
  const el = page.querySelector(sel)
  return el ? el.dom.textContent.trim() : ''
}

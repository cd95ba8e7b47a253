/**
 * Renders a page with miniprogram-simulate and drives it through its widgets.
 *
 * Pages are written with the Component() constructor (valid for mini-program
 * pages), which is what simulate runs. Their tdesign components are the REAL
 * ones from node_modules/tdesign-miniprogram/miniprogram_dist (the version
 * miniprogram/package.json ships). Pages and components alike are compiled
 * by the official WXML compiler (`wcc`, bundled with miniprogram-simulate):
 * tdesign needs it for `<wxs src>`, `<import>` and `<template is>`, which
 * simulate's own compiler does not support, and it rejects (or warns about)
 * page templates the way WeChat does. So a tap on a `<t-button>` goes
 * through tdesign's own `handleTap` (a disabled or loading button does
 * nothing, as on a phone), typing into a `<t-input>` through its `onInput`
 * → `change`, and so on.
 *
 * With base library 3.4.0 tdesign components are virtual hosts (no element
 * of their own): the helpers find the native node inside that the user
 * touches. A page's module is loaded once per test file (jest caches it),
 * then rendered afresh for each test; tdesign's modules are loaded afresh for
 * each component so each registers itself.
 */
import { afterEach, jest } from '@jest/globals'
import * as fs from 'fs'
import * as path from 'path'
import { settle } from './wx-mock'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulate = require('miniprogram-simulate')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const simulateUtils = require('miniprogram-simulate/src/utils')
// The event system j-component renders with (the same module instance: hoisted in node_modules).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const exparser = require('miniprogram-exparser')

const ROOT = path.resolve(__dirname, '../miniprogram')
export const TDESIGN = path.resolve(__dirname, '../node_modules/tdesign-miniprogram/miniprogram_dist')

// simulate runs a component's js with `require` and expects it to call Component() each
// time; jest caches modules, so tdesign's files run in an isolated registry every time.
const runJs = simulateUtils.runJs
simulateUtils.runJs = (file: string) => {
  if (!file.startsWith(TDESIGN)) return runJs(file)
  jest.isolateModules(() => {
    require(file)
  })
}

const pageIds: Record<string, string> = {}
const rendered: Page[] = []

// Pages rendered by a test are detached after it (their queue subscriptions end with them).
afterEach(() => {
  for (const p of rendered.splice(0)) p.detach()
})
const componentIds: Record<string, string> = {}

/** `tdesign-miniprogram/button/button` → the component registered from node_modules. */
export function tdesignPath(using: string): string {
  const m = /^tdesign-miniprogram\/(.+)$/.exec(using)
  if (!m) throw new Error(`not a tdesign component: ${using}`)
  return path.join(TDESIGN, m[1])
}

function component(tag: string, using: string): string {
  const file = tdesignPath(using)
  if (!componentIds[file]) componentIds[file] = simulate.load(file, tag, { compiler: 'official', rootPath: TDESIGN })
  return componentIds[file]
}

export interface Node {
  dom?: HTMLElement
  instance: any
  data: any
  _exparserNode: any
  querySelector(sel: string): Node | undefined
  querySelectorAll(sel: string): Node[]
  dispatchEvent(name: string, options?: { detail?: unknown }): void
}

export interface Page extends Node {
  attach(parent: Element): void
  detach(): void
  setData(data: Record<string, unknown>): void
}

export function renderPage(name: string): Page {
  if (!pageIds[name]) {
    const file = path.join(ROOT, 'pages', name, 'index')
    const json = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'))
    const usingComponents: Record<string, string> = {}
    for (const [tag, using] of Object.entries<string>(json.usingComponents || {})) usingComponents[tag] = component(tag, using)
    pageIds[name] = simulate.load(file, { compiler: 'official', rootPath: ROOT, usingComponents })
  }
  const page = simulate.render(pageIds[name]) as Page
  page.attach(document.createElement('parent-wrapper'))
  rendered.push(page)
  return page
}

export function find(page: Node, sel: string): Node {
  const el = page.querySelector(sel)
  if (!el) throw new Error(`no element matches ${sel}`)
  return el
}

export function exists(page: Node, sel: string): boolean {
  return !!page.querySelector(sel)
}

/** Exparser nodes below `node` (through components' shadow trees), in document order. */
function* descendants(node: any): Generator<any> {
  for (const child of node.childNodes || []) {
    yield child
    if (child.shadowRoot) yield* descendants(child.shadowRoot)
    yield* descendants(child)
  }
}

/**
 * The node the user touches: the element itself when it has one, otherwise
 * (a tdesign component, a virtual host) the first native node inside it —
 * or the first matching `inner` (a CSS selector on the rendered DOM).
 */
function touched(el: Node, inner?: string): Node {
  if (!inner && el.dom) return el
  const root = el._exparserNode.shadowRoot || el._exparserNode
  for (const n of descendants(root)) {
    const dom = n.$$ as HTMLElement | undefined
    if (dom && dom.nodeType === 1 && (!inner || dom.matches(inner))) return new (el.constructor as any)(n)
  }
  throw new Error(`nothing to touch${inner ? ` matching ${inner}` : ''} inside the element`)
}

/**
 * A native component's own event that does NOT bubble (input, confirm, change):
 * as on a phone, only a handler bound on that very element sees it. (j-component's
 * dispatchEvent makes every event bubble across components, which would let a
 * page's `bind:input` on a `<t-input>` catch the inner `<input>`'s event — a
 * binding that does nothing on a phone.)
 */
function fire(n: Node, name: string, detail: unknown): void {
  exparser.Event.dispatchEvent(n._exparserNode, exparser.Event.create(name, detail, { bubbles: false, composed: false, capturePhase: false }))
}

/** A tap (a bubbling event, as on a phone), then the app's reaction to it (requests, dialogs) run to the end. */
export async function tap(page: Node, sel: string, inner?: string): Promise<void> {
  touched(find(page, sel), inner).dispatchEvent('tap')
  await settle()
}

/** Typing `value` into a `<t-input>`, `<t-textarea>` or `<t-search>` (their native input fires `input`). */
export async function type(page: Node, sel: string, value: string): Promise<void> {
  fire(touched(find(page, sel), 'wx-input, wx-textarea'), 'input', { value, cursor: value.length })
  await settle()
}

/** The keyboard's confirm key (搜索) in a `<t-search>` or `<t-input>`. */
export async function confirm(page: Node, sel: string, value: string): Promise<void> {
  fire(touched(find(page, sel), 'wx-input'), 'confirm', { value })
  await settle()
}

/** A native `change` (a `<picker>` choosing `value`). */
export async function change(page: Node, sel: string, value: unknown): Promise<void> {
  fire(touched(find(page, sel)), 'change', { value })
  await settle()
}

/** A `<t-stepper>`'s plus or minus button. */
export function step(page: Node, sel: string, dir: 'plus' | 'minus'): Promise<void> {
  return tap(page, sel, `[class*="__${dir}"]`)
}

/** The clear icon of a `<t-search>` (tdesign clears on touchstart). */
export async function clearSearch(page: Node, sel: string): Promise<void> {
  touched(find(page, sel), '[class*="__clear"]').dispatchEvent('touchstart')
  await settle()
}

/** Rendered text of an element (for a tdesign component, of what it renders). */
export function text(page: Node, sel: string): string {
  const el = page.querySelector(sel)
  if (!el) return ''
  if (el.dom) return el.dom.textContent!.trim()
  const parts: string[] = []
  const root = el._exparserNode.shadowRoot || el._exparserNode
  for (const n of root.childNodes || []) parts.push(nodeText(n))
  return parts.join('').trim()
}

function nodeText(n: any): string {
  if (n.$$ && n.$$.textContent !== undefined && !n.__virtual) return n.$$.textContent
  let s = typeof n.textContent === 'string' && !n.childNodes ? n.textContent : ''
  for (const c of n.childNodes || []) s += nodeText(c)
  return s
}

/** Texts of every element matching `sel`. */
export function texts(page: Node, sel: string): string[] {
  return page.querySelectorAll(sel).map((el) => (el.dom ? el.dom.textContent!.trim() : ''))
}

/** A tdesign component's property as rendered (e.g. a button's `disabled`). */
export function prop(page: Node, sel: string, name: string): unknown {
  return find(page, sel).instance?.data?.[name]
}

/** An attribute of a native element as the template rendered it (e.g. an `<image>`'s `src`). */
export function attr(page: Node, sel: string, name: string): unknown {
  const vt = find(page, sel)._exparserNode._vt
  return vt?.attrs.find((a: { name: string }) => a.name === name)?.value
}

/**
 * The page tests render the real tdesign-miniprogram components; this test
 * adds what rendering cannot see: an attribute a component does not declare
 * is silently ignored on a phone (a typo such as `varient=` just does
 * nothing), and a branch a test never renders is never checked. So, for every
 * tdesign tag in every page's .wxml: its usingComponents path exists in the
 * package, each attribute is a property the component declares (its
 * props.js), and each bind/catch event is one it triggers (its .js). The
 * package tested is the one the mini-program ships (miniprogram/package.json).
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'fs'
import * as path from 'path'
import { TDESIGN, tdesignPath } from './simulate'

const PAGES = path.resolve(__dirname, '../miniprogram/pages')

/** Attributes every component takes (framework or tdesign's common ones). */
const COMMON = new Set(['id', 'class', 'style', 'slot', 'custom-style', 'aria-hidden', 'aria-role', 'aria-label', 'hidden'])

const camel = (s: string) => s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())

function declaredProps(file: string): Set<string> {
  // props.js is an ES module: jest's transform for tdesign (jest.config.js) makes it requirable.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const props = require(path.join(path.dirname(file), 'props')).default as Record<string, unknown>
  return new Set(Object.keys(props))
}

function declaredEvents(file: string): Set<string> {
  const js = fs.readFileSync(`${file}.js`, 'utf8')
  return new Set([...js.matchAll(/(?:triggerEvent|_trigger)\("([\w-]+)"/g)].map((m) => m[1]))
}

interface Use {
  page: string
  tag: string
  attrs: string[]
}

/** `<t-foo a="…" b bind:c="…">` tags of a template, with their attribute names. */
function uses(page: string, wxml: string): Use[] {
  const out: Use[] = []
  for (const m of wxml.matchAll(/<(t-[\w-]+)((?:\s+[\w:.-]+(?:\s*=\s*"[^"]*")?)*)\s*\/?>/g)) {
    const attrs = [...m[2].matchAll(/([\w:.-]+)(?:\s*=\s*"[^"]*")?/g)].map((a) => a[1])
    out.push({ page, tag: m[1], attrs })
  }
  return out
}

const pages = fs.readdirSync(PAGES).filter((p) => fs.existsSync(path.join(PAGES, p, 'index.json')))

describe('tdesign components as the pages use them', () => {
  it('the package tested is the one the mini-program ships', () => {
    const runtime = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../miniprogram/package.json'), 'utf8'))
    const installed = JSON.parse(fs.readFileSync(path.join(TDESIGN, '..', 'package.json'), 'utf8')).version as string
    const range = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(runtime.dependencies['tdesign-miniprogram'])!
    const [maj, min, pat] = installed.split('.').map(Number)
    expect(maj).toBe(Number(range[1]))
    expect(min * 1e6 + pat).toBeGreaterThanOrEqual(Number(range[2]) * 1e6 + Number(range[3]))
  })

  it('found the pages and their tags (the parse works)', () => {
    expect(pages.length).toBeGreaterThanOrEqual(11)
    const all = pages.flatMap((p) => uses(p, fs.readFileSync(path.join(PAGES, p, 'index.wxml'), 'utf8')))
    expect(new Set(all.map((u) => u.tag))).toEqual(new Set(['t-button', 't-input', 't-stepper', 't-tag', 't-textarea', 't-cell', 't-search', 't-popup']))
  })

  for (const page of pages) {
    it(`pages/${page}: every tdesign tag is declared, exists, and gets only its own properties and events`, () => {
      const json = JSON.parse(fs.readFileSync(path.join(PAGES, page, 'index.json'), 'utf8'))
      const using: Record<string, string> = json.usingComponents || {}
      const problems: string[] = []
      for (const [tag, p] of Object.entries(using)) {
        const file = tdesignPath(p)
        if (!fs.existsSync(`${file}.json`) || !fs.existsSync(`${file}.js`)) problems.push(`${tag}: ${p} is not in the package`)
      }
      for (const u of uses(page, fs.readFileSync(path.join(PAGES, page, 'index.wxml'), 'utf8'))) {
        if (!using[u.tag]) {
          problems.push(`<${u.tag}> is used but not in usingComponents`)
          continue
        }
        const file = tdesignPath(using[u.tag])
        const props = declaredProps(file)
        const events = declaredEvents(file)
        for (const a of u.attrs) {
          const ev = /^(?:bind|catch|capture-bind|capture-catch):?([\w-]+)$/.exec(a)
          if (ev) {
            if (!events.has(ev[1])) problems.push(`<${u.tag} ${a}>: ${u.tag} has no "${ev[1]}" event (it has ${[...events].join(', ')})`)
          } else if (!a.startsWith('wx:') && !a.startsWith('data-') && !COMMON.has(a) && !props.has(camel(a))) {
            problems.push(`<${u.tag} ${a}>: not a property of ${u.tag}`)
          }
        }
      }
      expect(problems).toEqual([])
    })
  }
})

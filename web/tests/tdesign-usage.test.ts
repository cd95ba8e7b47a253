/**
 * The console registers TDesign components one by one (console/tdesign.ts):
 * every `<t-…>` tag in its templates must be registered, and nothing
 * registered should go unused (it would only grow the bundle).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createApp } from 'vue'
import { installTDesign } from '../console/tdesign'

function vueFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? vueFiles(p) : p.endsWith('.vue') ? [p] : []
  })
}

const pascal = (tag: string) => tag.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())

describe('TDesign registration', () => {
  const used = new Set<string>()
  for (const f of vueFiles(join(__dirname, '..', 'console'))) {
    const template = readFileSync(f, 'utf8').split('<script')[0]
    for (const m of template.matchAll(/<(t-[a-z-]+)/g)) used.add(pascal(m[1]))
  }

  it('registers every <t-…> component the templates use', () => {
    const app = createApp({})
    installTDesign(app)
    expect([...used].filter((name) => !app.component(name)).sort()).toEqual([])
  })

  it('registers nothing the templates do not use', () => {
    const app = createApp({})
    installTDesign(app)
    const registered = Object.keys(app._context.components).filter((n) => n.startsWith('T'))
    expect(registered.filter((n) => !used.has(n)).sort()).toEqual([])
  })
})

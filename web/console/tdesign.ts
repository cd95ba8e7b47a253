/**
 * The TDesign components the console uses, registered one by one so the
 * bundle carries only these (and their CSS). The list is tdesign-components.ts;
 * tests/tdesign-usage.test.ts fails when a template uses a `<t-…>` tag that is
 * not listed there, or when one listed goes unused.
 */
import type { App, Plugin } from 'vue'
import * as components from './tdesign-components'

export const COMPONENTS: Record<string, Plugin> = { ...components }

export function installTDesign(app: App): void {
  for (const c of Object.values(COMPONENTS)) app.use(c)
}

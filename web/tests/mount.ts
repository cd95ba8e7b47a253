/** Mounts a console component as the app would: TDesign registered, a router in memory. */
import { flushPromises, mount } from '@vue/test-utils'
import type { Component } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { installTDesign } from '../console/tdesign'
import { routes } from '../console/router'

export async function mountPage(component: Component, path = '/') {
  const router = createRouter({ history: createMemoryHistory('/console/'), routes })
  await router.push(path)
  await router.isReady()
  const wrapper = mount(component, {
    attachTo: document.body,
    global: { plugins: [{ install: installTDesign }, router] },
  })
  await flushPromises()
  return { wrapper, router }
}

/** Types into the native input inside a TDesign input carrying `data-testid`. */
export async function typeInto(testid: string, value: string): Promise<void> {
  const host = document.querySelector(`[data-testid="${testid}"]`)
  const input = (host?.matches('input,textarea') ? host : host?.querySelector('input,textarea')) as HTMLInputElement | null
  if (!input) throw new Error(`no input for ${testid}`)
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
  await flushPromises()
}

export async function click(testid: string): Promise<void> {
  const el = document.querySelector(`[data-testid="${testid}"]`) as HTMLElement | null
  if (!el) throw new Error(`no element ${testid}`)
  el.click()
  await settle()
}

/** Lets validation, fetches and re-renders run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

/** The text of the form item that holds the element with `data-testid`. */
export function formItemText(testid: string): string {
  const el = document.querySelector(`[data-testid="${testid}"]`)
  return el?.closest('.t-form__item')?.textContent ?? ''
}

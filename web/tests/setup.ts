/**
 * jsdom lacks a few browser APIs TDesign touches; these stand-ins do nothing.
 * The session lives in sessionStorage: start each test from an empty one.
 */
import { afterEach } from 'vitest'

class NoopResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
if (!('ResizeObserver' in globalThis)) {
  ;(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = NoopResizeObserver
}
if (!window.matchMedia) {
  window.matchMedia = ((query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener() {},
    removeListener() {},
    addEventListener() {},
    removeEventListener() {},
    dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia
}
if (!window.scrollTo) window.scrollTo = () => {}

afterEach(() => {
  sessionStorage.clear()
  document.body.innerHTML = ''
})

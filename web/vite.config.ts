/// <reference types="vitest/config" />
/**
 * One toolchain, two apps. `vite build --mode console` builds the regulators'
 * desktop console (served by `yaojian serve` under /console/) into
 * dist/console/; `--mode h5` builds the phone pages (/h5/) into dist/h5/.
 * Vitest runs with its own mode ("test") and sees the whole tree.
 */
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

const APPS = {
  console: { root: 'console', base: '/console/' },
  h5: { root: 'h5', base: '/h5/' },
} as const

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig(({ mode }) => {
  const app = APPS[mode as keyof typeof APPS]
  if (!app && mode !== 'test') {
    throw new Error(`vite: unknown mode "${mode}" (use --mode console or --mode h5)`)
  }
  return {
    root: app ? here(`./${app.root}`) : here('.'),
    base: app ? app.base : '/',
    envDir: here('.'),
    publicDir: false,
    plugins: [vue()],
    resolve: {
      alias: { '@shared': here('./shared') },
    },
    build: {
      outDir: app ? here(`./dist/${app.root}`) : undefined,
      emptyOutDir: true,
      // No inline scripts or data: modules: the server's CSP is default-src 'self'.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      chunkSizeWarningLimit: 1500,
      reportCompressedSize: false,
    },
    server: {
      // `npm run dev:console` against a local `yaojian serve` (127.0.0.1:8080).
      proxy: { '/api': 'http://127.0.0.1:8080' },
    },
    test: {
      environment: 'jsdom',
      include: ['tests/**/*.test.ts'],
      setupFiles: ['tests/setup.ts'],
      environmentOptions: { jsdom: { url: 'http://localhost/console/' } },
      css: false,
      server: { deps: { inline: ['tdesign-vue-next', 'tdesign-mobile-vue'] } },
    },
  }
})

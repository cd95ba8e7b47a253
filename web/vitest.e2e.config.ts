/**
 * The browser tests (e2e/): the built console in Debian's Chromium against a
 * real `yaojian serve` (e2e/server.ts). `npm run test:e2e` after `npm run
 * build`, with YAOJIAN_BIN set; scripts/test runs them.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test starts a server and a browser page: one file at a time on two cores.
    fileParallelism: false,
  },
})

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { findBrowser } from './test/e2e/harness/findBrowsers.ts'

const alias = {
  // Before 'nmrpc/client', which would otherwise match it as a prefix.
  'nmrpc/client/core': fileURLToPath(new URL('./src/client/core.ts', import.meta.url)),
  'nmrpc/client': fileURLToPath(new URL('./src/client/index.ts', import.meta.url)),
  'nmrpc/server': fileURLToPath(new URL('./src/server/index.ts', import.meta.url)),
  'nmrpc/node': fileURLToPath(new URL('./src/node/index.ts', import.meta.url)),
}

// E2E always runs; a browser that is not found has its tests skipped (counted as such in the summary
// line of scripts/test-summary.mjs, which fails CI for it). Say here which browsers this run uses.
for (const kind of ['chromium', 'firefox'] as const) {
  const hit = findBrowser(kind)
  console.log(hit.found ? `e2e ${kind}: ${hit.path} (${hit.how})` : `e2e ${kind}: skipped, ${hit.why}`)
}

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const alias = {
  'nmrpc/client': fileURLToPath(new URL('./src/client/index.ts', import.meta.url)),
  'nmrpc/server': fileURLToPath(new URL('./src/server/index.ts', import.meta.url)),
  'nmrpc/node': fileURLToPath(new URL('./src/node/index.ts', import.meta.url)),
}

// E2E runs only where a browser is installed; .ci/run installs both, so CI always runs it.
const haveBrowser = existsSync('/usr/bin/chromium') || existsSync('/usr/bin/firefox-esr')

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
      ...(haveBrowser
        ? [
            {
              test: {
                name: 'e2e',
                include: ['test/e2e/**/*.test.ts'],
                testTimeout: 180_000,
                hookTimeout: 180_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
})

import { existsSync } from 'node:fs'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    'client/index': 'src/client/index.ts',
    'server/index': 'src/server/index.ts',
    'node/index': 'src/node/index.ts',
    ...(existsSync('src/cli/main.ts') ? { 'cli/main': 'src/cli/main.ts' } : {}),
    // Not imported by the CLI: nmrpc build bundles this file into every built host.
    'build/runtime': 'src/build/runtime.ts',
  },
  format: ['esm', 'cjs'],
  // Declarations for the library entry points only; the CLI is a program, not an API.
  dts: {
    entry: {
      'client/index': 'src/client/index.ts',
      'server/index': 'src/server/index.ts',
      'node/index': 'src/node/index.ts',
    },
  },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
})

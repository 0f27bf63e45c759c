import { existsSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

const library = {
  'client/index': 'src/client/index.ts',
  // The client without one-shot, trace, handlers or a default codec: a smaller bundle (README, Size).
  'client/core': 'src/client/core.ts',
  'server/index': 'src/server/index.ts',
  'node/index': 'src/node/index.ts',
  // Not in `exports`: an entry only so that superjson's import lands in a file of its own (see the file).
  'shared/superjson': 'src/shared/superjsonLib.ts',
}

const common: Options = {
  sourcemap: true,
  target: 'es2022',
  splitting: true,
  // No rollup pass (`treeshake`): it appended a second `sourceMappingURL` to entry files, and a user's
  // bundler tree-shakes anyway (an esbuild bundle of `createClient` came out byte for byte the same).
  treeshake: false,
  // Declarations for the library entry points only; the CLI is a program, not an API.
  dts: { entry: library },
}

export default defineConfig([
  {
    ...common,
    // The CLI ships as ESM only (package.json's `bin` points at it): nothing `require`s a program.
    entry: {
      ...library,
      ...(existsSync('src/cli/main.ts') ? { 'cli/main': 'src/cli/main.ts' } : {}),
      // Not imported by the CLI: nmrpc build bundles this file into every built host.
      'build/runtime': 'src/build/runtime.ts',
      // The start of every built bundle: compiles the host with V8's code cache (src/build/bundleStart.ts).
      'build/bundleStart': 'src/build/bundleStart.ts',
    },
    format: ['esm'],
    // The two builds run at once: each cleans only its own files, so neither deletes the other's.
    clean: ['**/*.js', '**/*.js.map', '**/*.d.ts'],
  },
  {
    ...common,
    entry: library,
    format: ['cjs'],
    clean: ['**/*.cjs', '**/*.cjs.map', '**/*.d.cts'],
    // superjson and its dependency are ESM only: `require()` of them throws ERR_REQUIRE_ESM on Node 20.0
    // to 20.18, which `engines` (>=20) allows. The CommonJS build carries its own copy instead.
    noExternal: ['superjson', 'copy-anything', 'is-what'],
  },
])

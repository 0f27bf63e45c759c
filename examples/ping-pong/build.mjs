// Builds the ping-pong example: an unpacked Chromium extension, a Firefox extension and the host.
//   npm run example:build                      (from the nmrpc repo: builds nmrpc first)
//   node examples/ping-pong/build.mjs [--out DIR]
// Output (default examples/ping-pong/build/):
//   chromium/   load with chrome://extensions > Developer mode > Load unpacked
//   firefox/    load with about:debugging > This Firefox > Load Temporary Add-on > manifest.json
//   host/       host.mjs, a launcher per OS, and a host manifest per browser ready to copy
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const outArg = process.argv.indexOf('--out')
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(here, 'build'))

export const HOST_NAME = 'com.nmrpc.pingpong'
export const GECKO_ID = 'ping-pong@examples.nmrpc'
// A public key gives the unpacked Chromium extension a fixed id wherever it is loaded, so the host
// manifest below can name it. The private half is not needed to load it unpacked and is not kept.
const CHROMIUM_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqweGdBJUKrLQ5Iek9cnNaIPLdQ7tjc58Je1du5c55jIbaytrVHf02TpoWuJI1BPrnxWzV0r6yCWKIknNRV7XEzMVAH7VXmcn0qGz/GJuayoHldlIJbw8jnRHVFsZm8fbNdoZ9Ac8o23t+3/FBgYrekL9RtDisrr4uNuZVkAR0l8X8SBaC2xpkOIEFPfpc/fYqsbB38Q2y6kwt5WS+dyrraMiZrisujAkPOZB573OlzbGdihTcbIpChdwu2pdUqU7sbz20xgT+a6EaQ741vvk19H3jKyLRk0al95wDuCXsyLFdlB1Ft/Sz4RNHTU8T50e2rGtpcRjoI/fjEHRljRyUwIDAQAB'
export const CHROMIUM_ID = 'mcmpfjeaigbkgpbpiklnaikfdgcjniph'

const common = {
  name: 'nmrpc ping-pong',
  version: '0.1.0',
  description: 'The classic native messaging ping-pong, with nmrpc: typed calls, errors and a stream.',
  permissions: ['nativeMessaging'],
  action: { default_title: 'nmrpc ping-pong', default_popup: 'popup.html' },
}

const manifests = {
  chromium: {
    manifest_version: 3,
    ...common,
    key: CHROMIUM_KEY,
    background: { service_worker: 'background.js' },
  },
  firefox: {
    manifest_version: 3,
    ...common,
    background: { scripts: ['background.js'] },
    browser_specific_settings: { gecko: { id: GECKO_ID, strict_min_version: '115.0' } },
  },
}

// Inside the nmrpc repo, `nmrpc/*` resolves to the package's own built dist/ (run `npm run build`
// first); in your project it resolves to node_modules/nmrpc. The empty tsconfig keeps the repo's
// test-only `paths` (to src/) out of the bundle.
// This folder has its own package.json (for `npm run build:host`), so inside the nmrpc repo `nmrpc/*` is
// pointed at the repo's dist/ explicitly; in your project nothing is aliased and node_modules/nmrpc is used.
const repo = resolve(here, '../..')
const inRepo =
  existsSync(join(repo, 'package.json')) &&
  JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).name === 'nmrpc'
const alias = inRepo
  ? {
      'nmrpc/client': join(repo, 'dist/client/index.js'),
      'nmrpc/server': join(repo, 'dist/server/index.js'),
    }
  : {}

const shared = {
  bundle: true,
  alias,
  tsconfigRaw: '{}',
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: here,
}

rmSync(out, { recursive: true, force: true })
for (const [browser, manifest] of Object.entries(manifests)) {
  const dir = join(out, browser)
  await build({
    ...shared,
    entryPoints: { background: 'extension/background.ts', popup: 'extension/popup.ts' },
    outdir: dir,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  })
  copyFileSync(join(here, 'extension/popup.html'), join(dir, 'popup.html'))
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
}

const hostDir = join(out, 'host')
await build({
  ...shared,
  entryPoints: ['host/host.ts'],
  outfile: join(hostDir, 'host.mjs'),
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
})

// Browsers start the host without a shell PATH you can rely on (macOS apps get a minimal one), so the
// launcher names the Node that ran this build. Edit it if you move the folder to another machine.
const launcher = join(hostDir, 'ping-pong-host')
writeFileSync(
  launcher,
  `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$(dirname "$0")/host.mjs" "$@"\n`,
)
chmodSync(launcher, 0o755)
writeFileSync(
  join(hostDir, 'ping-pong-host.bat'),
  `@echo off\r\n"${process.execPath}" "%~dp0host.mjs" %*\r\n`,
)

const launcherPath = process.platform === 'win32' ? `${launcher}.bat` : launcher
const hostManifest = (extra) => ({
  name: HOST_NAME,
  description: 'nmrpc ping-pong example host',
  path: launcherPath,
  type: 'stdio',
  ...extra,
})
writeFileSync(
  join(hostDir, `${HOST_NAME}.chromium.json`),
  `${JSON.stringify(hostManifest({ allowed_origins: [`chrome-extension://${CHROMIUM_ID}/`] }), null, 2)}\n`,
)
writeFileSync(
  join(hostDir, `${HOST_NAME}.firefox.json`),
  `${JSON.stringify(hostManifest({ allowed_extensions: [GECKO_ID] }), null, 2)}\n`,
)
console.log(`ping-pong built in ${out}
  chromium/  unpacked extension, id ${CHROMIUM_ID}
  firefox/   extension, id ${GECKO_ID}
  host/      ${HOST_NAME}.chromium.json and ${HOST_NAME}.firefox.json point at ${launcherPath}
Next: register the host (see examples/ping-pong/README.md), load the extension, click Ping.`)

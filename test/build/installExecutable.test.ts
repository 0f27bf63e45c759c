// The `executable` install option that a single executable's --install uses: the manifests name the
// program itself and no launcher is written, on every OS (planned only, so macOS and Windows run here).
import { describe, expect, it } from 'vitest'
import { planInstall } from '../../src/node/install/plan.js'
import type { InstallEnv } from '../../src/node/install/platform.js'

const CHROME_ID = 'abcdefghijklmnopabcdefghijklmnop'
const GECKO_ID = 'app@acme.com'

describe('planInstall with executable: true', () => {
  it.each([
    ['linux', { platform: 'linux', home: '/home/u', env: {} }, '/opt/acme/com.acme.app'],
    ['darwin', { platform: 'darwin', home: '/Users/u', env: {} }, '/Applications/Acme/com.acme.app'],
    ['win32', { platform: 'win32', home: 'C:\\Users\\u', env: {} }, 'C:\\Acme\\com.acme.app.exe'],
  ] as const)('on %s, the manifests point at the executable and there is no launcher', (_, env, exe) => {
    const plan = planInstall({
      name: 'com.acme.app',
      host: exe,
      executable: true,
      extensionIds: [CHROME_ID, GECKO_ID],
      browsers: ['chrome', 'firefox'],
      env: env as InstallEnv,
    })
    expect(plan.launcher).toBe(exe)
    const files = plan.actions.filter((a) => a.kind === 'file')
    expect(files.map((a) => a.role)).toEqual(['manifest', 'manifest'])
    for (const f of files) expect(JSON.parse(f.content).path).toBe(exe)
  })

  it('without it, the manifests point at a launcher that runs the host with node', () => {
    const plan = planInstall({
      name: 'com.acme.app',
      host: '/opt/acme/com.acme.app.mjs',
      node: '/usr/bin/node',
      extensionIds: [GECKO_ID],
      browsers: ['firefox'],
      env: { platform: 'linux', home: '/home/u', env: {} },
    })
    const [launcher, manifest] = plan.actions
    expect(launcher).toMatchObject({ kind: 'file', role: 'launcher' })
    expect(JSON.parse(manifest!.kind === 'file' ? manifest!.content : '{}').path).toBe(plan.launcher)
  })
})

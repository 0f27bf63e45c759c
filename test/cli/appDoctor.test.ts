// doctor's app-mode checks, on launchers written the way `nmrpc install --app` writes them and a real app.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appModeFindings } from '../../src/node/install/appDoctor.js'
import { launcherScript } from '../../src/node/install/launcher.js'
import { APP_NAME, appWorld } from '../integration/appHelpers.js'

let world: ReturnType<typeof appWorld>
let saved: string | undefined
let dir = ''
beforeEach(() => {
  world = appWorld()
  saved = process.env.XDG_RUNTIME_DIR
  // appModeFindings looks where the browser's relay would: this process's XDG_RUNTIME_DIR.
  process.env.XDG_RUNTIME_DIR = world.xdg
  dir = mkdtempSync(join(tmpdir(), 'nmrpc-appdoctor-'))
})
afterEach(() => {
  if (saved === undefined) delete process.env.XDG_RUNTIME_DIR
  else process.env.XDG_RUNTIME_DIR = saved
  world.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const launcher = (hostArgs: string[]) => {
  const file = join(dir, 'launcher.sh')
  writeFileSync(
    file,
    launcherScript('linux', APP_NAME, '/usr/bin/node', '/opt/nmrpc/dist/cli/main.js', [], hostArgs),
  )
  return file
}

describe('nmrpc doctor in app mode', () => {
  it('finds nothing to say about a launcher that is not app mode', async () => {
    expect(await appModeFindings(launcher([]), APP_NAME)).toEqual([])
  })

  it('says "the app is not running" as its own finding, naming the endpoint', async () => {
    const f = await appModeFindings(launcher(['relay', APP_NAME, '--']), APP_NAME)
    expect(f.map((x) => [x.level, x.code])).toEqual([
      ['info', 'app-mode'],
      ['error', 'app-not-running'],
    ])
    expect(f[1]!.message).toBe(
      `The app is not running: nothing listens at ${world.endpoint} (no such folder).`,
    )
    expect(f[1]!.fix).toContain('--launch')
  })

  it('only warns when the relay will start the app with --launch', async () => {
    const f = await appModeFindings(launcher(['relay', APP_NAME, '--launch', 'acme --tray', '--']), APP_NAME)
    expect(f[1]).toMatchObject({ level: 'warn', code: 'app-not-running' })
    expect(f[1]!.message).toContain('The relay starts it with its --launch command')
  })

  it('reports a running app as answering', async () => {
    await world.startApp()
    const f = await appModeFindings(launcher(['relay', APP_NAME, '--']), APP_NAME)
    expect(f[1]).toEqual({
      level: 'ok',
      code: 'app-running',
      message: `The app is running: ${world.endpoint} answers.`,
    })
  })
})

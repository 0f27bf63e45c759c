// The harness on its own: a hand-framed host (no nmrpc) in both real browsers. If this fails, the
// nmrpc e2e tests cannot be trusted either way.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachBrowser } from './harness/findBrowsers'
import { type E2eSession, openBrowser } from './harness/openBrowser'
import { processesOf } from './harness/processes'

const rawHost = fileURLToPath(new URL('./fixtures/rawEchoHost.mjs', import.meta.url))
const hostName = 'com.nmrpc.e2e.raw'

describeEachBrowser('raw native messaging in %s', (name) => {
  let session: E2eSession

  beforeAll(async () => {
    session = await openBrowser(name, { background: 'raw', hosts: [{ name: hostName, script: rawHost }] })
  })
  afterAll(async () => {
    const root = session?.run.root
    await session?.close()
    if (root) expect(processesOf(root)).toEqual([])
  })

  it('round-trips a message through a hand-framed host, started with the browser argv', async () => {
    const reply = await session.browser.run<{ echo: unknown; argv: string[] }>('rawPing', hostName, {
      text: 'héllo ✓',
      n: 42,
    })
    expect(reply.echo).toEqual({ text: 'héllo ✓', n: 42 })
    if (name === 'chromium') expect(reply.argv).toEqual([`chrome-extension://${session.extensionId}/`])
    else
      expect(reply.argv).toEqual([
        expect.stringMatching(/native-messaging-hosts\/com\.nmrpc\.e2e\.raw\.json$/),
        session.extensionId,
      ])
  })

  it('reports a host that is not registered with the browser own text', async () => {
    const reason = await session.browser.run<string>('rawMissing', 'com.nmrpc.e2e.nobody')
    expect(reason).toMatch(
      name === 'chromium'
        ? /native messaging host not found/
        : /No such native application com\.nmrpc\.e2e\.nobody/,
    )
  })
})

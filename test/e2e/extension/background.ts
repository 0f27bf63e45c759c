// Background of the e2e extension (Chromium: MV3 service worker; Firefox: background script).
// It exposes `globalThis.e2e.run(name, args)`: Chromium tests call it through `sw.evaluate`; in Firefox,
// which has no remote protocol, the extension connects to the control host and runs what arrives there.
import { scenarios } from './scenarios'
import { type NativePort, runtime } from './webext'

/** Set by the e2e build: the control host's name in the Firefox build, undefined in Chromium. */
declare const __E2E_CONTROL_HOST__: string | undefined

type Scenario = (...args: never[]) => unknown

async function run(name: string, args: unknown[]): Promise<unknown> {
  const scenario = (scenarios as Record<string, Scenario | undefined>)[name]
  if (!scenario) throw new Error(`No e2e scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`)
  return await (scenario as (...a: unknown[]) => unknown)(...args)
}

;(globalThis as unknown as { e2e: unknown }).e2e = { run }

function isRequest(m: unknown): m is { id: number; name: string; args: unknown[] } {
  if (typeof m !== 'object' || m === null) return false
  const r = m as Record<string, unknown>
  return typeof r.id === 'number' && typeof r.name === 'string' && Array.isArray(r.args)
}

if (typeof __E2E_CONTROL_HOST__ === 'string') {
  const control: NativePort = runtime().connectNative(__E2E_CONTROL_HOST__)
  control.onMessage.addListener((m) => {
    if (!isRequest(m)) return
    run(m.name, m.args).then(
      (value) => control.postMessage({ id: m.id, ok: true, value: value ?? null }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err))
        control.postMessage({ id: m.id, ok: false, error: { name: e.name, message: e.message } })
      },
    )
  })
  control.postMessage({ ready: true })
}

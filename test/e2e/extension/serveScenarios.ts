import { type NativePort, runtime } from './webext'

/** Set by the e2e build: the control host's name in the Firefox build, undefined in Chromium. */
declare const __E2E_CONTROL_HOST__: string | undefined

type Scenario = (...args: never[]) => unknown

function isRequest(m: unknown): m is { id: number; name: string; args: unknown[] } {
  if (typeof m !== 'object' || m === null) return false
  const r = m as Record<string, unknown>
  return typeof r.id === 'number' && typeof r.name === 'string' && Array.isArray(r.args)
}

/**
 * Makes scenarios runnable by name from outside the extension: as `globalThis.e2e.run(name, args)` for
 * Chromium's `sw.evaluate`, and, in the Firefox build, over the control host, since Firefox has no
 * remote protocol here. Results must be plain JSON so they cross both paths unchanged.
 *
 * @example
 * serveScenarios({ rawPing, rpcUnary })
 */
export function serveScenarios(scenarios: Record<string, Scenario>): void {
  const run = async (name: string, args: unknown[]): Promise<unknown> => {
    const scenario = scenarios[name]
    if (!scenario) throw new Error(`No e2e scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`)
    return await (scenario as (...a: unknown[]) => unknown)(...args)
  }
  ;(globalThis as unknown as { e2e: unknown }).e2e = { run }

  if (typeof __E2E_CONTROL_HOST__ !== 'string') return
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

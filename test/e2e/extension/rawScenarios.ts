// Scenarios that talk to a hand-framed host through a bare Port, without nmrpc: they prove the
// harness on its own and give the baseline the nmrpc numbers are measured against.
import { disconnectReason, type NativePort, runtime } from './webext'

/** A Port with replies as promises, in order: the raw host answers each message once. */
class RawPort {
  private readonly port: NativePort
  private readonly waiting: Array<{ resolve(v: unknown): void; reject(e: Error): void }> = []
  private closed: Error | undefined

  constructor(name: string) {
    this.port = runtime().connectNative(name)
    this.port.onMessage.addListener((m) => this.waiting.shift()?.resolve(m))
    this.port.onDisconnect.addListener((p) => {
      this.closed = new Error(disconnectReason(p))
      for (const w of this.waiting.splice(0)) w.reject(this.closed)
    })
  }

  request(message: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.port.postMessage(message)
    })
  }

  close(): void {
    this.port.disconnect()
  }
}

/** One round trip to the raw echo host. */
export async function rawPing(host: string, message: unknown): Promise<unknown> {
  const port = new RawPort(host)
  try {
    return await port.request(message)
  } finally {
    port.close()
  }
}

/** Connects to a host that is expected to be missing and returns the browser's reason. */
export function rawMissing(host: string): Promise<string> {
  return new Promise((resolve) => {
    const port = runtime().connectNative(host)
    port.onDisconnect.addListener((p) => resolve(disconnectReason(p)))
  })
}

/**
 * Round trips through a bare Port: `n` sequential pings (latency) and then `n` messages in flight at
 * once (throughput), each carrying `payloadBytes` of text. Times are in milliseconds.
 */
export async function rawBench(
  host: string,
  n: number,
  payloadBytes: number,
): Promise<{ sequentialMs: number; pipelinedMs: number }> {
  const port = new RawPort(host)
  const payload = 'x'.repeat(payloadBytes)
  try {
    // Warm up the JIT on both ends and the host's start, so the first timed calls are not outliers.
    for (let i = 0; i < Math.min(n, 50); i++) await port.request({ i, payload })
    let t = performance.now()
    for (let i = 0; i < n; i++) await port.request({ i, payload })
    const sequentialMs = performance.now() - t
    t = performance.now()
    await Promise.all(Array.from({ length: n }, (_, i) => port.request({ i, payload })))
    const pipelinedMs = performance.now() - t
    return { sequentialMs, pipelinedMs }
  } finally {
    port.close()
  }
}

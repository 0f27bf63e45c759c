// Round trip time and throughput through a real browser, raw Port.postMessage against nmrpc. Printed,
// never asserted (times vary by machine); NMRPC_E2E_RECORD=1 also writes them to bench/RESULTS.md.
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { chromiumPath } from './harness/chromium'
import { firefoxPath } from './harness/firefox'
import { browsers, type E2eSession, openBrowser } from './harness/openBrowser'
import { replaceSection } from './harness/recordResults'

const rawHost = fileURLToPath(new URL('./fixtures/rawEchoHost.mjs', import.meta.url))
const rpcHost = fileURLToPath(new URL('./fixtures/rpcHost.ts', import.meta.url))
const resultsFile = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url))

/** What is measured: many small sequential calls (latency), then fewer large ones all in flight (throughput). */
const workloads = [
  { label: 'small (16 B)', n: 1_000, bytes: 16 },
  { label: 'large (256 KiB)', n: 64, bytes: 256 * 1024 },
] as const

interface Timing {
  sequentialMs: number
  pipelinedMs: number
}

interface Row {
  browser: string
  workload: (typeof workloads)[number]
  transport: 'raw Port' | 'nmrpc'
  timing: Timing
}

const rows: Row[] = []

function fmt(row: Row): string[] {
  const { n, bytes } = row.workload
  const rttUs = (row.timing.sequentialMs * 1000) / n
  const callsPerSec = n / (row.timing.pipelinedMs / 1000)
  const mibPerSec = (2 * n * bytes) / (1024 * 1024) / (row.timing.pipelinedMs / 1000)
  return [
    row.browser,
    row.workload.label,
    row.transport,
    `${rttUs.toFixed(0)} µs`,
    `${callsPerSec.toFixed(0)}/s`,
    `${mibPerSec.toFixed(1)} MiB/s`,
  ]
}

function table(): string {
  const head = [
    'browser',
    'payload',
    'transport',
    'round trip (sequential)',
    'calls/s (all in flight)',
    'echoed bytes/s',
  ]
  const lines = [head, head.map(() => '---'), ...rows.map(fmt)]
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

function version(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, HOME: '/nonexistent' },
    })
      .trim()
      .split('\n')
      .at(-1)!
  } catch {
    return `${bin} (version unknown)`
  }
}

describe.each(browsers)('throughput through %s', (name) => {
  let session: E2eSession

  afterAll(async () => {
    await session?.close()
  })

  it('measures raw Port.postMessage and nmrpc on the same browser', async () => {
    session = await openBrowser(name, {
      hosts: [
        { name: 'com.nmrpc.e2e.raw', script: rawHost },
        { name: 'com.nmrpc.e2e.rpc', script: rpcHost },
      ],
    })
    for (const workload of workloads) {
      const raw = await session.browser.run<Timing>(
        'rawBench',
        'com.nmrpc.e2e.raw',
        workload.n,
        workload.bytes,
      )
      const rpc = await session.browser.run<Timing>(
        'rpcBench',
        'com.nmrpc.e2e.rpc',
        workload.n,
        workload.bytes,
      )
      for (const [transport, timing] of [
        ['raw Port', raw],
        ['nmrpc', rpc],
      ] as const) {
        expect(timing.sequentialMs).toBeGreaterThan(0)
        expect(timing.pipelinedMs).toBeGreaterThan(0)
        rows.push({ browser: name, workload, transport, timing })
      }
    }
  })
})

afterAll(() => {
  if (rows.length === 0) return
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`NMRPC_E2E_RECORD=1 npm run test:e2e -- test/e2e/bench.test.ts\``,
    `on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${version(chromiumPath)}, ${version(firefoxPath)}; headless.`,
    '',
    'Each call echoes its payload through the extension background and a native host: "raw Port" is',
    'a bare `connectNative` Port with a hand-framed Node host, "nmrpc" is `client.call.echo(payload)`',
    'against a `defineHost` host, both from the same extension in the same browser. "Round trip" is',
    'the mean of the sequential calls; "calls/s" and "echoed bytes/s" (both directions counted) come',
    'from the same number of calls issued at once. One run, not a statistical study: compare rows',
    'within a browser, not across machines.',
    '',
    table(),
  ].join('\n')
  console.log(`\n${body}\n`)
  if (process.env.NMRPC_E2E_RECORD === '1') replaceSection(resultsFile, 'Through a real browser', body)
})

// Round trip time and throughput through a real browser, raw Port.postMessage against nmrpc. Printed,
// never asserted (times vary by machine); NMRPC_E2E_RECORD=1 also writes them to bench/RESULTS.md.
import { execFileSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { type BrowserLookup, browserLookup, describeEachBrowser } from './harness/findBrowsers'
import { type E2eSession, openBrowser } from './harness/openBrowser'
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
const bigRows: Array<{ browser: string; bytes: number; ms: number }> = []
const bigBytes = 10 * 1024 * 1024

function rate(bytesPerSec: number): string {
  if (bytesPerSec >= 1024 * 1024) return `${(bytesPerSec / (1024 * 1024)).toFixed(1)} MiB/s`
  return `${(bytesPerSec / 1024).toFixed(0)} KiB/s`
}

function fmt(row: Row): string[] {
  const { n, bytes } = row.workload
  const rttUs = (row.timing.sequentialMs * 1000) / n
  const callsPerSec = n / (row.timing.pipelinedMs / 1000)
  const bytesPerSec = (2 * n * bytes) / (row.timing.pipelinedMs / 1000)
  return [
    row.browser,
    row.workload.label,
    row.transport,
    `${rttUs.toFixed(0)} µs`,
    `${callsPerSec.toFixed(0)}/s`,
    rate(bytesPerSec),
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
  const big = bigRows.map(
    (r) =>
      `| ${r.browser} | one ${r.bytes / (1024 * 1024)} MiB result (chunked) | nmrpc | ${r.ms.toFixed(0)} ms | | ${rate(r.bytes / (r.ms / 1000))} |`,
  )
  return [...lines.map((cells) => `| ${cells.join(' | ')} |`), ...big].join('\n')
}

function version(lookup: BrowserLookup): string {
  if (!lookup.found) return 'not found'
  const bin = lookup.path
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

describeEachBrowser('throughput through %s', (name) => {
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
    const big = await session.browser.run<{ ms: number; length: number }>(
      'rpcBigBench',
      'com.nmrpc.e2e.rpc',
      bigBytes,
    )
    expect(big.length).toBe(bigBytes)
    bigRows.push({ browser: name, bytes: bigBytes, ms: big.ms })
  })
})

afterAll(() => {
  if (rows.length === 0) return
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`NMRPC_E2E_RECORD=1 npm run test:e2e -- test/e2e/bench.test.ts\``,
    `on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${version(browserLookup('chromium'))}, ${version(browserLookup('firefox'))}; headless; load average ${loadavg()[0]?.toFixed(2)} at the end.`,
    '',
    'Each call echoes its payload through the extension background and a native host: "raw Port" is',
    'a bare `connectNative` Port with a hand-framed Node host, "nmrpc" is `client.call.echo(payload)`',
    'against a `defineHost` host, both from the same extension in the same browser. "Round trip" is',
    'the mean of the sequential calls; "calls/s" and "echoed bytes/s" (both directions counted) come',
    'from the same number of calls issued at once, after 50 warm-up calls. The last rows time one',
    'result larger than the 1 MiB a browser accepts per message, which only nmrpc can send (in chunks).',
    "The raw host is the naive one (one write per reply); nmrpc's host corks stdout so replies made in",
    'the same tick leave in one writev, which is how it can beat that baseline with many calls in flight.',
    'One run on a shared 2-core machine (see the load average): differences of a few tens of percent are',
    'run-to-run noise here. Compare rows within a browser, not across machines.',
    '',
    table(),
  ].join('\n')
  console.log(`\n${body}\n`)
  if (process.env.NMRPC_E2E_RECORD === '1') replaceSection(resultsFile, 'Through a real browser', body)
})

// Runs vitest (with any extra arguments given) and then prints the suite's totals as one plain line,
// "N passed, N failed, N skipped", from vitest's JSON report, so that CI logs end with a count any tool can
// read, also when tests failed. Then one line per browser says how many e2e tests ran in it. The exit code
// is vitest's when it failed; with CI=true it is also 1 when a browser's e2e tests did not run (a browser
// that is missing has its e2e tests skipped, never silently absent).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const reportPath = fileURLToPath(new URL('../.tmp/vitest-report.json', import.meta.url))
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))

mkdirSync(new URL('../.tmp', import.meta.url), { recursive: true })
rmSync(reportPath, { force: true })
const run = spawnSync(
  process.execPath,
  [
    vitest,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportPath}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
)
const vitestCode = run.status ?? 1

if (!existsSync(reportPath)) {
  console.log('0 passed, 0 failed, 0 skipped')
  console.error(`vitest wrote no report (exit code ${run.status}, signal ${run.signal ?? 'none'})`)
  process.exit(vitestCode || 1)
}

const report = JSON.parse(readFileSync(reportPath, 'utf8'))
const skipped = report.numPendingTests + report.numTodoTests
// A file that failed to load has no test results but counts: say so in the failed number.
const brokenFiles = report.testResults.filter(
  (f) => f.status === 'failed' && f.assertionResults.length === 0,
).length
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed, ${skipped} skipped`,
)

let code = vitestCode
if (report.numTotalTests === 0) {
  console.error('no test ran')
  code = 1
}

// e2e tests name their browser in their title (describeEachBrowser in test/e2e/harness/findBrowsers.ts).
const e2e = report.testResults.filter((f) => f.name.includes('/test/e2e/')).flatMap((f) => f.assertionResults)
if (e2e.length > 0) {
  for (const browser of ['chromium', 'firefox']) {
    const mine = e2e.filter((t) => t.fullName.toLowerCase().includes(browser))
    const count = (status) => mine.filter((t) => t.status === status).length
    const ran = count('passed') + count('failed')
    console.log(
      `e2e in ${browser}: ${count('passed')} passed, ${count('failed')} failed, ${count('pending') + count('skipped') + count('todo')} skipped`,
    )
    if (process.env.CI === 'true' && ran === 0) {
      console.error(
        `CI: no e2e test ran in ${browser}; install it (.ci/run does) or point ${browser === 'chromium' ? 'CHROMIUM_PATH' : 'FIREFOX_PATH'} at it`,
      )
      code = code || 1
    }
  }
}
process.exit(code)

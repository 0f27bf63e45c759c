// Prints the suite's totals as one plain line ("N passed, N failed, N skipped") after `npm test`, from
// vitest's JSON report, so that CI logs end with a count any tool can read.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(new URL('../.tmp/vitest-report.json', import.meta.url), 'utf8'))
const skipped = report.numPendingTests + report.numTodoTests
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
)
if (report.numTotalTests === 0) {
  console.error('no test ran')
  process.exit(1)
}

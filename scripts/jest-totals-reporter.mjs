// A Jest reporter for scripts/test.mjs: writes the run's totals as JSON to the file named by
// JEST_TOTALS_FILE. A suite that fails to load counts as one failure.
import { writeFileSync } from 'node:fs'

export default class TotalsReporter {
  onRunComplete(_contexts, results) {
    writeFileSync(
      process.env.JEST_TOTALS_FILE,
      JSON.stringify({
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests
      })
    )
  }
}

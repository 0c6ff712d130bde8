// `npm test`: every check and every test of the sources. The bundle is rebuilt from src/ before the
// suites, so the end-to-end runs of dist/index.js test what src/ says now, not the last commit.
// Each static check counts as one test; the last line is the totals, `N passed, N failed`.
// Arguments go to Jest (`npm test -- __tests__/unit` runs only the unit suites).
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleArgs } from './bundle.mjs'
import { nodeBinary, ROOT } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

exitOnSignals()

// Every tool runs on this Node by its JavaScript entry point: no shell, no .cmd shims on Windows.
// TypeScript, ESLint and Prettier turn on Node's compile cache: it goes with Jest's cache in
// node_modules/.cache rather than the temporary directory.
const tool = (...path) => join(ROOT, 'node_modules', ...path)
const env = { ...process.env, NODE_COMPILE_CACHE: tool('.cache', 'node-compile-cache') }
const node = (args, options = {}) => spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env, ...options })

const checks = [
  ['type check', [tool('typescript', 'bin', 'tsc'), '-p', '.']],
  ['lint', [tool('eslint', 'bin', 'eslint.js'), '.']],
  ['format', [tool('prettier', 'bin', 'prettier.cjs'), '--check', '.', '--log-level', 'warn']],
  ['bundle (dist/ rebuilt from src/)', bundleArgs()]
]
let passed = 0
let failed = 0
const results = {}
for (const [name, args] of checks) {
  const ok = node(args).status === 0
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}`)
  results[name] = ok
  if (ok) passed++
  else failed++
}

const jestArgs = process.argv.slice(2)
if (!results['bundle (dist/ rebuilt from src/)']) {
  // dist/ would be the last bundle, not src/: its end-to-end results would say nothing.
  console.log('skipped: the end-to-end suites, since dist/ could not be built from src/ (see the bundle error above)')
  jestArgs.push('--testPathIgnorePatterns', '[/\\\\]e2e[/\\\\]')
}

const e2eNode = execFileSync(nodeBinary(), ['--version'], { encoding: 'utf8' }).trim()
if (!e2eNode.startsWith('v24.')) {
  console.log(`note: the end-to-end suites run the action on Node ${e2eNode}; GitHub runs it on Node 24 (see .node-version).`)
}

// Jest's totals come through a small reporter and a file, not --outputFile, which prints the
// path of a file this script deletes a moment later.
const totalsDir = makeTempDir('jest-')
try {
  const totalsFile = join(totalsDir, 'totals.json')
  const jest = node(
    [
      '--experimental-vm-modules',
      '--disable-warning=ExperimentalWarning',
      tool('jest', 'bin', 'jest.js'),
      // The arguments first: --reporters takes a list, and would swallow a test path after it.
      ...jestArgs,
      '--reporters=default',
      `--reporters=${join(ROOT, 'scripts', 'jest-totals-reporter.mjs')}`
    ],
    { env: { ...env, JEST_TOTALS_FILE: totalsFile, DIST_JUST_BUILT: '1' } }
  )
  let totals
  try {
    totals = JSON.parse(readFileSync(totalsFile, 'utf8'))
  } catch {
    console.log('FAILED: Jest ended without reporting its totals')
    totals = { passed: 0, failed: 1, skipped: 0 }
  }
  passed += totals.passed
  failed += totals.failed
  if (jest.status !== 0 && failed === 0) failed++
  if (jestArgs.length === 0) {
    // Nothing may depend on today's date: the suites on the fake clock pass a year either side of it.
    const start = Date.parse('2026-11-25T10:00:00Z')
    for (const [name, shift] of [
      ['a year ahead', 1],
      ['a year back', -1]
    ]) {
      const when = new Date(start + shift * 365 * 86_400_000).toISOString()
      const run = node(
        [
          '--experimental-vm-modules',
          '--disable-warning=ExperimentalWarning',
          tool('jest', 'bin', 'jest.js'),
          join('__tests__', 'unit'),
          join('__tests__', 'http'),
          '--silent',
          '--reporters=summary'
        ],
        { env: { ...env, TEST_CLOCK_START: when, DIST_JUST_BUILT: '1' } }
      )
      const ok = run.status === 0
      console.log(`${ok ? 'ok' : 'FAILED'}: the unit and HTTP suites with the fake clock ${name} (TEST_CLOCK_START=${when})`)
      if (ok) passed++
      else failed++
    }
  }
  console.log(`${passed} passed, ${failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`)
} finally {
  removeTempDir(totalsDir)
}
process.exitCode = failed === 0 ? 0 : 1

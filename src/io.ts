import * as core from '@actions/core'
import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { ActionError } from './errors.js'
import { createHttp, type Http } from './http-transport.js'
import { inert, redact } from './inert-text.js'
import { USER_AGENT } from './version.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  error(message: string): void
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  sleep(ms: number): Promise<void>
  /** In [0, 1), for back-off jitter. */
  random(): number
}

/**
 * Everything the action does to the outside world. The logic takes an Io, so tests pass a fake
 * one instead of patching modules; this file is the only place @actions/core is wired in.
 */
export interface Io extends Clock {
  /** The input's value, trimmed; '' when the workflow did not give it. */
  getInput(name: string): string
  /** Variables the runner sets (OIDC request URL and token, proxies, debug flag). */
  env: Readonly<Record<string, string | undefined>>
  /** Registers a value with the runner so it is printed as *** from now on. */
  mask(value: string): void
  /**
   * `text` with every value registered by mask() replaced by ***. Server text is redacted before
   * it is cut to length (inert-text.ts serverText): the runner's masks match a secret only whole.
   */
  redact(text: string): string
  setOutput(name: string, value: string): void
  /** Appends markdown to the job summary (which the runner does not mask: never put a secret there). */
  writeSummary(markdown: string): Promise<void>
  /** Every line the action prints goes through here, and is made inert on the way (inert-text.ts). */
  log: Logger
  http: Http
  uuid(): string
  /** Sets a variable for the job's later steps (GITHUB_ENV). */
  exportVariable(name: string, value: string): void
  /** Keeps a value for this action's post step (GITHUB_STATE), which reads it with getState. */
  saveState(name: string, value: string): void
  /** What the main step saved under `name` (the runner passes it as STATE_<name>); '' when nothing. */
  getState(name: string): string
}

export function createIo(): Io {
  const masks = new Set<string>()
  // Every line is redacted here as well, not only by the runner: a line printed where no runner
  // masks (npm start, local-action) shows no secret either.
  const shown = (message: string, multiline: boolean) => inert(redact(message, masks), multiline)
  const log: Logger = {
    info: message => core.info(shown(message, false)),
    warning: message => core.warning(shown(message, true)),
    debug: message => core.debug(shown(message, true)),
    error: message => core.error(shown(message, true))
  }
  return {
    getInput: name => core.getInput(name),
    env: process.env,
    mask: value => {
      masks.add(value)
      core.setSecret(value)
    },
    redact: text => redact(text, masks),
    setOutput: (name, value) => {
      // core appends synchronously: a FIFO there would block the process for good, a missing file
      // would throw "Missing file at path". Either is one clear error naming the variable.
      const problem = runnerFileProblem(process.env.GITHUB_OUTPUT)
      if (problem) {
        throw new ActionError('runner', `Cannot write the '${name}' output: GITHUB_OUTPUT names ${problem}.`, {
          hint: 'The runner creates that file for every step; when running the action by hand, set GITHUB_OUTPUT to an existing file, or unset it.'
        })
      }
      core.setOutput(name, value)
    },
    writeSummary: async markdown => {
      const variable = process.env.GITHUB_STEP_SUMMARY
      const problem = variable ? runnerFileProblem(variable) : 'no file (GITHUB_STEP_SUMMARY is not set)'
      if (problem) {
        // The outputs are written by now: a summary that cannot be written does not undo the step.
        log.warning(
          `'job-summary' is true, but the job summary cannot be written: GITHUB_STEP_SUMMARY names ${problem}. The outputs are written all the same.`
        )
        return
      }
      try {
        await core.summary.addRaw(markdown, true).write()
      } catch (error) {
        log.warning(
          `The job summary could not be written (GITHUB_STEP_SUMMARY: ${error instanceof Error ? error.message : String(error)}); the outputs are written all the same.`
        )
      }
    },
    exportVariable: (name, value) => {
      const problem = runnerFileProblem(process.env.GITHUB_ENV)
      if (problem || !process.env.GITHUB_ENV) {
        // Without GITHUB_ENV, core would print the retired ::set-env:: command, which runners refuse.
        throw new ActionError('runner', `Cannot set ${name} for later steps: GITHUB_ENV names ${problem ?? 'no file (it is not set)'}.`, {
          hint: 'The runner creates that file for every step; when running the action by hand, set GITHUB_ENV to an existing file.'
        })
      }
      core.exportVariable(name, value)
    },
    saveState: (name, value) => {
      // Without GITHUB_STATE there is no post step to read it (core would print ::save-state::, a
      // command runners have retired): nothing to keep.
      if (process.env.GITHUB_STATE && !runnerFileProblem(process.env.GITHUB_STATE)) core.saveState(name, value)
    },
    getState: name => core.getState(name),
    log,
    http: http(),
    ...CLOCK,
    uuid: randomUUID
  }
}

// Each request sets rejectUnauthorized itself; the variable only names the cause of a refusal.
const http = () => createHttp(USER_AGENT, { tlsChecksDisabledByEnvironment: process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0' })

const CLOCK: Clock = {
  now: Date.now,
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
  random: Math.random
}

/**
 * The background renewer's Io. No step is running by then: what it printed would go nowhere, and
 * a mask it registered would reach no log (the runner reads masks only from the running step). So
 * it prints and masks nothing, and has no inputs, outputs or runner files: it records what
 * happens in its status file instead (renewal/files.ts).
 */
export function createBackgroundIo(): Io {
  const none = () => {
    throw new Error('the renewer has no step to write to')
  }
  const quiet = () => undefined
  // Not printed, but kept: server text in a renewal's error is redacted before it reaches the
  // status file, which the post step reports.
  const masks = new Set<string>()
  return {
    getInput: none,
    env: {},
    mask: value => {
      masks.add(value)
    },
    redact: text => redact(text, masks),
    setOutput: none,
    writeSummary: none,
    exportVariable: none,
    saveState: none,
    getState: none,
    log: { info: quiet, warning: quiet, debug: quiet, error: quiet },
    http: http(),
    ...CLOCK,
    uuid: randomUUID
  }
}

/** Why a runner file (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) cannot be appended to, or undefined when it can (or is unset). */
function runnerFileProblem(path: string | undefined): string | undefined {
  if (!path) return undefined
  try {
    return statSync(path).isFile() ? undefined : 'something that is not a regular file'
  } catch {
    return 'a file that does not exist'
  }
}

import * as core from '@actions/core'
import { randomUUID } from 'node:crypto'
import { createHttp, type Http } from './http-transport.js'
import { USER_AGENT } from './version.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
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
  /** Variables the runner sets (OIDC request URL and token, debug flag). */
  env: Readonly<Record<string, string | undefined>>
  /** Registers a value with the runner so it is printed as *** from now on. */
  mask(value: string): void
  setOutput(name: string, value: string): void
  /** Appends markdown to the job summary (which the runner does not mask: never put a secret there). */
  writeSummary(markdown: string): Promise<void>
  log: Logger
  http: Http
  uuid(): string
}

export function createIo(): Io {
  return {
    getInput: name => core.getInput(name),
    env: process.env,
    mask: value => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, value),
    writeSummary: async markdown => {
      await core.summary.addRaw(markdown, true).write()
    },
    log: { info: core.info, warning: core.warning, debug: core.debug },
    http: createHttp(USER_AGENT),
    uuid: randomUUID,
    now: Date.now,
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
    random: Math.random
  }
}

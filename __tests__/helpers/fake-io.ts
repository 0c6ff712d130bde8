import type { Http } from '../../src/http-transport.js'
import { redact } from '../../src/inert-text.js'
import type { RawInputs } from '../../src/inputs.js'
import type { Io } from '../../src/io.js'

/** An Io that records everything and runs on a fake clock: sleeping only moves `now` forward. */
export interface FakeIo extends Io {
  masks: string[]
  outputs: Record<string, string>
  logs: { level: 'info' | 'warning' | 'debug' | 'error'; message: string }[]
  summaries: string[]
  /** Variables exported for later steps, and the state saved for the post step. */
  exported: Record<string, string>
  state: Record<string, string>
  sleeps: number[]
  /** Everything a user could see: logs and summary, one string. */
  printed(): string
}

/**
 * The fake clock's start. Nothing may depend on today's date: set TEST_CLOCK_START (any instant
 * Date.parse reads) to run the suites a year ahead or back (CONTRIBUTING, "Time in tests").
 */
export const START = clockStart(process.env.TEST_CLOCK_START)

function clockStart(value: string | undefined): number {
  const start = Date.parse(value || '2026-11-25T10:00:00Z')
  if (Number.isNaN(start)) throw new Error(`TEST_CLOCK_START is '${value}', which is not a date`)
  return start
}

export function fakeIo(inputs: Record<string, string> = {}, options: { env?: Record<string, string>; http?: Http } = {}): FakeIo {
  let now = START
  let ids = 0
  const io: FakeIo = {
    masks: [],
    outputs: {},
    logs: [],
    summaries: [],
    exported: {},
    state: {},
    sleeps: [],
    getInput: name => (inputs[name] ?? '').trim(),
    env: options.env ?? {},
    mask: value => io.masks.push(value),
    redact: text => redact(text, io.masks),
    setOutput: (name, value) => {
      io.outputs[name] = value
    },
    writeSummary: async markdown => {
      io.summaries.push(markdown)
    },
    exportVariable: (name, value) => {
      io.exported[name] = value
    },
    saveState: (name, value) => {
      io.state[name] = value
    },
    getState: name => io.state[name] ?? '',
    log: {
      info: message => io.logs.push({ level: 'info', message }),
      warning: message => io.logs.push({ level: 'warning', message }),
      debug: message => io.logs.push({ level: 'debug', message }),
      error: message => io.logs.push({ level: 'error', message })
    },
    http: options.http ?? {
      request: () => Promise.reject(new Error('no HTTP in this test'))
    },
    uuid: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    now: () => now,
    sleep: async ms => {
      io.sleeps.push(ms)
      now += ms
    },
    random: () => 0.5,
    printed: () => [...io.logs.map(l => l.message), ...io.summaries].join('\n')
  }
  return io
}

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
export const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444'
export const SECRET = 'abc8Q~ThisIsTheSecretValue_0123456789xyz'

/** A JWT-shaped access token with the given claims (unsigned: the action never checks it). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`
}

/** What readInputs returns for a workflow that gives tenant-id, client-id and client-secret, with `overrides`. */
export function rawInputs(overrides: Partial<RawInputs> = {}): RawInputs {
  return {
    'tenant-id': TENANT,
    'client-id': CLIENT,
    'client-secret': SECRET,
    'client-certificate': '',
    'client-certificate-password': '',
    'managed-identity': '',
    'federated-token-file': '',
    cloud: 'public',
    scope: '',
    'authority-host': '',
    'oidc-audience': '',
    'required-roles': '',
    'job-summary': 'false',
    'max-attempts': '4',
    'timeout-seconds': '60',
    'keep-fresh': 'false',
    'azure-credentials': 'false',
    idTokenRequestUrl: '',
    idTokenRequestToken: '',
    proxyVariables: {},
    azureVariables: {},
    ...overrides
  }
}

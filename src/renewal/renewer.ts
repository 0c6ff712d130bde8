import { dirname } from 'node:path'
import { acquireAssertion, acquireToken } from '../acquire.js'
import { ActionError } from '../errors.js'
import type { RawInputs } from '../inputs.js'
import { createBackgroundIo, type Io } from '../io.js'
import { maskSecrets } from '../inputs.js'
import { parseSettings, type Settings } from '../settings.js'
import { removeRenewalFiles, renewalFiles, writeAtomically, writeTokenFiles, type RenewalFiles } from './files.js'
import { onStopSignal, readHandOver, watchProcess } from './process.js'
import { assertionRenewalAt, expiryOf, retryAt, tokenRenewalAt } from './schedule.js'
import { iso, newStatus, recordFailure, writeStatus, type RenewalFailure, type RenewalStatus } from './status.js'

/** One thing to keep fresh: when to renew it next, and when what is in its file expires (epoch ms). */
export interface Renewal {
  due: number
  expiresOn?: number
}

/** What the step writes to the renewer's stdin (process.ts): secrets included, so never anywhere else. */
export interface HandOver {
  /** The step's inputs and runner variables as it read them, parsed again into the same Settings. */
  raw: RawInputs
  /** The folder of the files (files.ts). */
  dir: string
  /** The runner process that started the step: when it is gone, so is the job. */
  watchPid: number
  token?: Renewal
  assertion?: Renewal
}

type What = RenewalFailure['what']

/**
 * The renewer's entry (`node dist/index.js --renew`): reads the hand-over, then renews until the
 * post step stops it, the runner process is gone, or renewal can no longer work. It prints
 * nothing; its status file says what happened.
 */
export async function renew(): Promise<void> {
  const handOver = (await readHandOver(process.stdin)) as HandOver
  const files = renewalFiles(handOver.dir)
  const io = createBackgroundIo()
  const status = newStatus(process.pid, io.now())
  const finish = (stopped: string, remove = false) => {
    try {
      if (remove) removeRenewalFiles(files.dir, dirname(files.dir))
      else writeStatus(files.status, { ...status, nextRenewal: undefined, stopped })
    } finally {
      process.exit(0)
    }
  }
  onStopSignal(signal => finish(`stopped by the post step (${signal})`))
  // Nobody is left to read the files: remove them, the token first among them. A step with no
  // parent of its own (0, or init: a container job's step started by `docker exec`, whose parent
  // is outside the container's PID namespace, actions/runner ContainerStepHost) has nothing to
  // watch: the post step stops the renewer, and the container ends with the job.
  if (handOver.watchPid > 1) watchProcess(handOver.watchPid, () => finish('the runner process that started the step is gone', true))
  let stopped: string
  try {
    stopped = await renewUntilStopped(handOver, files, io, status)
  } catch (error) {
    // The renewals record their own failures: only a bug gets here, and the status says so.
    stopped = `the renewer failed: ${error instanceof Error ? error.message : String(error)}`
  }
  finish(stopped)
}

/**
 * Renews each file when it is due, with the step's own acquisition (acquire.ts: settings,
 * credential, retry, a fresh deadline each time). A failure for now is tried again soon, the file
 * keeping what it had; a refusal ends renewal. Returns why it ended.
 */
export async function renewUntilStopped(handOver: HandOver, files: RenewalFiles, io: Io, status: RenewalStatus): Promise<string> {
  // Masked again here: the renewer redacts what it records (status.json) with the step's secrets.
  maskSecrets(handOver.raw, io.mask)
  const stepSettings = parseSettings(handOver.raw)
  // Once what is in the file has expired, an outage is tried once a minute (retryAt), with one
  // request each time: the step's retries are for a token that is still wanted soon.
  const expired = (next: Renewal) => next.expiresOn !== undefined && next.expiresOn <= io.now()
  const renewals: { what: What; next: Renewal; renew: (settings: Settings) => Promise<Renewal> }[] = []
  if (handOver.token) {
    renewals.push({
      what: 'token',
      next: handOver.token,
      renew: async settings => {
        const token = await acquireToken(settings, io)
        writeTokenFiles(files, token.accessToken)
        return { due: tokenRenewalAt(token, io.now()), expiresOn: token.expiresOn.getTime() }
      }
    })
  }
  if (handOver.assertion) {
    renewals.push({
      what: 'assertion',
      next: handOver.assertion,
      renew: async settings => {
        const assertion = await acquireAssertion(settings, io)
        writeAtomically(files.assertion, assertion)
        return { due: assertionRenewalAt(assertion, io.now()), expiresOn: expiryOf(assertion) }
      }
    })
  }
  if (renewals.length === 0) return 'nothing to renew'
  for (;;) {
    const renewal = renewals.reduce((a, b) => (a.next.due <= b.next.due ? a : b))
    writeStatus(files.status, { ...status, nextRenewal: iso(renewal.next.due) })
    await io.sleep(Math.max(0, renewal.next.due - io.now()))
    try {
      renewal.next = await renewal.renew(expired(renewal.next) ? { ...stepSettings, maxAttempts: 1 } : stepSettings)
      status.renewals[renewal.what] += 1
      status.lastRenewal = iso(io.now())
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      recordFailure(status, { at: iso(io.now()), what: renewal.what, reason })
      if (!isForNow(error)) return `the ${renewal.what} can no longer be renewed: ${reason}`
      renewal.next = { ...renewal.next, due: retryAt(io.now(), renewal.next.expiresOn) }
    }
  }
}

/**
 * Whether a failure may pass: a transient one whose retries ran out (withRetry keeps it as the
 * cause), or the deadline. A refusal (Entra ID's, GitHub's once its request token has expired
 * after about 6 hours, an expired certificate) will not, nor will a file that cannot be written.
 */
function isForNow(error: unknown): boolean {
  if (!(error instanceof ActionError)) return false
  if (error.code === 'timeout' || error.code === 'network') return true
  return error.transient || (error.cause instanceof ActionError && error.cause.transient)
}

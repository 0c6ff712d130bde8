import { readIfPresent, writeAtomically } from './files.js'

/** At most this many failures are kept: enough to explain a bad hour, bounded for a long job. */
const MAX_FAILURES = 20

/** One renewal that did not work, and why (an ActionError's message: never a secret). */
export interface RenewalFailure {
  at: string
  what: 'token' | 'assertion'
  reason: string
}

/**
 * What the renewer did, kept next to the token (status.json) for people and for the post step.
 * Instants are ISO 8601 UTC.
 */
export interface RenewalStatus {
  /** The renewer's process ID; 0 when no process was needed. */
  pid: number
  started: string
  /** Renewals that worked, of the token and of the assertion. */
  renewals: Record<RenewalFailure['what'], number>
  lastRenewal?: string
  nextRenewal?: string
  lastError?: string
  /** Every failure counted; the last MAX_FAILURES kept in `failures`. */
  failureCount: number
  failures: RenewalFailure[]
  /** Why renewal ended, once it has. */
  stopped?: string
}

export function newStatus(pid: number, now: number): RenewalStatus {
  return { pid, started: iso(now), renewals: { token: 0, assertion: 0 }, failureCount: 0, failures: [] }
}

export function writeStatus(path: string, status: RenewalStatus): void {
  writeAtomically(path, `${JSON.stringify(status, null, 2)}\n`)
}

/** The status file as the renewer last wrote it, or undefined when it is missing or unreadable. */
export function readStatus(path: string): RenewalStatus | undefined {
  const text = readIfPresent(path)
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as RenewalStatus
    return typeof value === 'object' &&
      value !== null &&
      typeof value.renewals === 'object' &&
      value.renewals !== null &&
      Array.isArray(value.failures)
      ? value
      : undefined
  } catch {
    return undefined
  }
}

export function recordFailure(status: RenewalStatus, failure: RenewalFailure): void {
  status.lastError = failure.reason
  status.failureCount += 1
  status.failures.push(failure)
  if (status.failures.length > MAX_FAILURES) status.failures.splice(0, status.failures.length - MAX_FAILURES)
}

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

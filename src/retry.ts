import { ActionError } from './errors.js'
import type { Clock, Logger } from './io.js'

/** HTTP statuses worth another try when the body carries no AADSTS code (gateways, throttling). */
export const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504])

// Back-off without Retry-After: 1 s, 2 s, 4 s ... capped at 10 s, each scaled by a random factor
// in [0.5, 1) so that parallel jobs throttled together do not come back together.
const BACKOFF_BASE_MS = 1000
const BACKOFF_CAP_MS = 10_000

export interface RetryBudget {
  maxAttempts: number
  /** Epoch milliseconds after which nothing more is tried. */
  deadline: number
  /** For messages: the input that set the deadline and its value. */
  timeoutSeconds: number
}

export function backoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1))
  return Math.round(ceiling * (0.5 + random() / 2))
}

/** `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts, or would cross the
 * deadline. Only ActionErrors marked transient are retried; the server's Retry-After wins over
 * back-off; there is never a sleep after the last attempt, and a wait that would end past the
 * deadline fails at once, saying when to try again.
 */
export async function withRetry<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  budget: RetryBudget,
  clock: Clock,
  log: Logger
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n)
    } catch (error) {
      if (!(error instanceof ActionError) || !error.transient) throw afterAttempts(error, n)
      log.debug(`${what}: attempt ${n} of ${budget.maxAttempts} failed: ${error.message}`)
      if (n >= budget.maxAttempts) throw afterAttempts(error, n, `Gave up after ${attemptsText(n)}.`)
      const wait = error.retryAfterMs ?? backoffMs(n, clock.random)
      const left = budget.deadline - clock.now()
      if (wait >= left) throw pastDeadline(error, n, wait, clock.now(), budget)
      log.debug(
        `${what}: waiting ${(wait / 1000).toFixed(1)} s ${error.retryAfterMs === undefined ? '(back-off)' : '(Retry-After)'} before attempt ${n + 1}`
      )
      await clock.sleep(wait)
    }
  }
}

/** The final error states how many attempts were made and what the last one returned. */
function afterAttempts(error: unknown, attempts: number, prefix?: string): unknown {
  if (!(error instanceof ActionError) || (attempts === 1 && !prefix)) return error
  const lead = prefix ?? `Failed on attempt ${attempts}.`
  return new ActionError(error.code, `${lead} The last one: ${error.message}`, {
    input: error.input,
    hint: error.hint,
    details: error.details,
    entraCode: error.entraCode,
    cause: error
  })
}

function pastDeadline(error: ActionError, attempts: number, wait: number, now: number, budget: RetryBudget): unknown {
  const retryAt = new Date(now + wait).toISOString()
  const reason =
    error.retryAfterMs === undefined
      ? `the next back-off (${Math.ceil(wait / 1000)} s) would pass the ${budget.timeoutSeconds} s deadline.`
      : `Entra ID asked to wait ${Math.ceil(wait / 1000)} s (Retry-After), past the ${budget.timeoutSeconds} s deadline; try again after ${retryAt}, or raise 'timeout-seconds'.`
  return afterAttempts(error, attempts, `Stopped after ${attemptsText(attempts)}: ${reason}`)
}

function attemptsText(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`
}

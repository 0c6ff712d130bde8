import { ActionError } from './errors.js'
import type { Clock, Logger } from './io.js'

// Back-off: 1 s, 2 s, 4 s ... capped at 10 s, each scaled by a random factor in [0.5, 1) so that
// parallel jobs throttled together do not come back together.
const BACKOFF_BASE_MS = 1000
const BACKOFF_CAP_MS = 10_000

export interface RetryBudget {
  maxAttempts: number
  /** Epoch milliseconds after which nothing more is tried. */
  deadline: number
  /** For messages: the input that set the deadline and its value. */
  timeoutSeconds: number
}

/** HTTP statuses that say "try again" whatever the body (RFC 9110 §15.5.9, RFC 6585 §4, §15.6). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599)
}

export function backoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1))
  return Math.round(ceiling * (0.5 + random() / 2))
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '\\d{2}:\\d{2}:\\d{2}'
// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7): IMF-fixdate, the
// obsolete RFC 850 form and asctime. Date.parse alone accepts far more than that.
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`
)

/**
 * `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now; a date in
 * the past is 0. Anything else (`-5`, `2.5`, words) is ignored, as the RFC's grammar excludes it.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  // A number too large for a double is still "very long", not Infinity.
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER)
  if (!HTTP_DATE.test(text)) return undefined
  const date = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The attempts one kind of request has made in this run, shared by every withRetry of that kind. */
export interface AttemptCount {
  /** Attempts made. */
  made: number
  /** Of those, the ones that count against maxAttempts (not those after a failure waited out). */
  used: number
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts, or would cross the
 * deadline. `count` carries the attempts across calls: a request made again inside every attempt
 * of another (the ID token inside each token request) still makes at most `maxAttempts` in all. Only ActionErrors marked transient are retried. A server's Retry-After can make the
 * wait longer than the back-off, never shorter (a `Retry-After: 0` on every answer must not turn
 * into a tight loop); there is never a sleep after the last attempt; and a wait that would end
 * past the deadline fails at once, saying when to try again. A failure that asks to be waited out
 * (ActionError.waitOut) is retried on its own schedule, within its own bound and the deadline,
 * and does not count against `maxAttempts`.
 */
export async function withRetry<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  budget: RetryBudget,
  clock: Clock,
  log: Logger,
  count: AttemptCount = { made: 0, used: 0 }
): Promise<T> {
  if (count.used >= budget.maxAttempts) {
    throw new ActionError(
      'timeout',
      `${capitalized(what)}: all ${attemptsText(count.used)} that 'max-attempts' allows were used already.`,
      { input: 'max-attempts', hint: 'Run again later, or raise max-attempts.' }
    )
  }
  let waitedOut = 0
  // An attempt after a failure that is waited out does not count against maxAttempts.
  let free = false
  for (;;) {
    const n = ++count.made
    if (!free) count.used++
    try {
      return await attempt(n)
    } catch (error) {
      if (!(error instanceof ActionError) || !error.transient) throw afterAttempts(error, n)
      const waitOut = error.waitOut && waitedOut + error.waitOut.everyMs <= error.waitOut.upToMs ? error.waitOut : undefined
      free = waitOut !== undefined
      if (waitOut) {
        log.debug(
          `${what}: attempt ${n} failed: ${error.message} Waited out, as the endpoint asks (${(waitedOut / 1000).toFixed(0)} of ${(waitOut.upToMs / 1000).toFixed(0)} s so far); it does not count against 'max-attempts'.`
        )
      } else {
        const counted = n === count.used ? `${n}` : `${n} (${count.used} counted)`
        log.debug(`${what}: attempt ${counted} of ${budget.maxAttempts} failed: ${error.message}`)
        if (count.used >= budget.maxAttempts) throw afterAttempts(error, n, `Gave up after ${attemptsText(n)}.`)
      }
      const backoff = waitOut ? waitOut.everyMs : backoffMs(count.used, clock.random)
      const asked = error.retryAfterMs !== undefined && error.retryAfterMs > backoff
      const wait = asked ? error.retryAfterMs! : backoff
      const left = budget.deadline - clock.now()
      if (wait >= left) throw pastDeadline(error, n, wait, asked, clock.now(), budget)
      if (waitOut) waitedOut += wait
      log.debug(
        `${what}: waiting ${(wait / 1000).toFixed(1)} s ${asked ? '(Retry-After)' : waitOut ? '(waiting out)' : '(back-off)'} before attempt ${n + 1}`
      )
      await clock.sleep(wait)
    }
  }
}

/** The final error states how many attempts were made and what the last one returned. */
function afterAttempts(error: unknown, attempts: number, prefix?: string): unknown {
  if (!(error instanceof ActionError) || (attempts === 1 && !prefix)) return error
  const lead = prefix ?? `Failed on attempt ${attempts}.`
  return new ActionError(error.code, `${lead} The last one: ${error.message}`, { ...error, transient: false, cause: error })
}

function pastDeadline(error: ActionError, attempts: number, wait: number, asked: boolean, now: number, budget: RetryBudget): unknown {
  const retryAt = new Date(now + wait)
  const when =
    retryAt.getUTCFullYear() <= 9999
      ? `try again after ${retryAt.toISOString()}, or raise 'timeout-seconds'.`
      : 'no calendar date is that far off, so this is not a server to wait for.'
  const reason = asked
    ? `the server asked to wait ${describeWait(wait)} (Retry-After), past the ${budget.timeoutSeconds} s deadline; ${when}`
    : `the next back-off (${Math.ceil(wait / 1000)} s) would pass the ${budget.timeoutSeconds} s deadline.`
  return afterAttempts(error, attempts, `Stopped after ${attemptsText(attempts)}: ${reason}`)
}

function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`
  return `${Math.round(seconds / 86_400)} days`
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function attemptsText(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`
}

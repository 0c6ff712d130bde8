import { ActionError } from './errors.js'

// One attempt that hears nothing for this long is abandoned and, time permitting, tried again on
// a fresh connection: Entra ID answers in well under a second when it is healthy.
const ATTEMPT_TIMEOUT_MS = 20_000

/** The bound on the whole acquisition ('timeout-seconds'), as a time and as an abort signal. */
export interface Deadline {
  /** Epoch milliseconds. */
  at: number
  /** Aborts, with a non-transient timeout ActionError, when the deadline passes. */
  signal: AbortSignal
  /** Aborts at the deadline or after one attempt's time limit, whichever comes first. */
  attemptSignal(): AbortSignal
  /**
   * Settles with `work`, or rejects with the timeout error when the deadline passes first, even
   * if `work` never settles (a library that lost track of a socket). Stops the timer either way.
   */
  bound<T>(work: Promise<T>): Promise<T>
}

export function startDeadline(clock: () => number, timeoutMs: number): Deadline {
  const now = clock()
  const seconds = timeoutMs / 1000
  const controller = new AbortController()
  // Not unref'd: while the run is pending, this timer is what guarantees that it ends.
  const expire = () =>
    controller.abort(
      new ActionError('timeout', `Timed out: no token within ${seconds} s.`, {
        input: 'timeout-seconds',
        hint: "Entra ID or the network did not answer in time; see the debug log for each attempt, and raise 'timeout-seconds' if your network is slow."
      })
    )
  const timer = setTimeout(expire, timeoutMs)
  return {
    at: now + timeoutMs,
    signal: controller.signal,
    attemptSignal() {
      // Synchronous work (a file read, a key decrypted) can outlast the deadline before its timer
      // gets to run: an attempt never starts after it.
      if (clock() >= now + timeoutMs) expire()
      const attempt = new AbortController()
      // unref: the deadline keeps the process alive while it matters; this one must not after.
      setTimeout(() => {
        attempt.abort(new ActionError('timeout', `No answer within ${ATTEMPT_TIMEOUT_MS / 1000} s.`, { transient: true }))
      }, ATTEMPT_TIMEOUT_MS).unref()
      return AbortSignal.any([controller.signal, attempt.signal])
    },
    async bound(work) {
      const expired = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
      })
      try {
        return await Promise.race([work, expired])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../../src/errors.js'
import { backoffMs, parseRetryAfter, withRetry, type RetryBudget } from '../../src/retry.js'
import { fakeIo, START } from '../helpers/fake-io.js'

const transient = (message = 'HTTP 503', retryAfterMs?: number) => new ActionError('http-error', message, { transient: true, retryAfterMs })
const permanent = () => new ActionError('entra-rejected', 'AADSTS7000215', { transient: false })
const budget = (over: Partial<RetryBudget> = {}): RetryBudget => ({ maxAttempts: 4, deadline: START + 60_000, timeoutSeconds: 60, ...over })

/** An attempt function that throws the given errors in turn, then returns 'token'. */
function attempts(...errors: ActionError[]) {
  const calls: number[] = []
  const fn = async (n: number) => {
    calls.push(n)
    const error = errors.shift()
    if (error) throw error
    return 'token'
  }
  return { fn, calls }
}

describe('withRetry', () => {
  it('retries transient failures with growing back-off, then succeeds', async () => {
    const io = fakeIo()
    const { fn, calls } = attempts(transient(), transient())
    await expect(withRetry('token request', fn, budget(), io, io.log)).resolves.toBe('token')
    expect(calls).toEqual([1, 2, 3])
    // random() is 0.5 in the fake: 75% of 1 s, then of 2 s.
    expect(io.sleeps).toEqual([750, 1500])
  })

  it('shares one count of attempts between calls: max-attempts bounds them all, and a spent count fails without an attempt', async () => {
    const io = fakeIo()
    const count = { made: 0, used: 0 }
    const first = attempts(transient(), transient())
    await expect(withRetry('ID token request', first.fn, budget(), io, io.log, count)).resolves.toBe('token')
    const second = attempts(transient('HTTP 503 again'))
    const error = await withRetry('ID token request', second.fn, budget(), io, io.log, count).catch(e => e)
    // Attempt 4 (the last allowed) fails; nothing is left for a third call.
    expect([first.calls, second.calls]).toEqual([[1, 2, 3], [4]])
    expect(error.message).toBe('Gave up after 4 attempts. The last one: HTTP 503 again')
    const third = attempts()
    const spent = await withRetry('ID token request', third.fn, budget(), io, io.log, count).catch(e => e)
    expect(third.calls).toEqual([])
    expect(spent).toBeInstanceOf(ActionError)
    expect(spent.message).toBe("ID token request: all 4 attempts that 'max-attempts' allows were used already.")
    expect(spent.input).toBe('max-attempts')
  })

  it('does not retry a permanent failure', async () => {
    const io = fakeIo()
    const { fn, calls } = attempts(permanent())
    await expect(withRetry('token request', fn, budget(), io, io.log)).rejects.toThrow('AADSTS7000215')
    expect(calls).toEqual([1])
    expect(io.sleeps).toEqual([])
  })

  it('does not retry errors that are not ActionErrors', async () => {
    const io = fakeIo()
    let calls = 0
    const fn = async () => {
      calls++
      throw new TypeError('bug')
    }
    await expect(withRetry('x', fn, budget(), io, io.log)).rejects.toThrow(TypeError)
    expect(calls).toBe(1)
  })

  it('stops at max-attempts without sleeping after the last, and says how many and what the last returned', async () => {
    const io = fakeIo()
    const { fn, calls } = attempts(transient('HTTP 500 one'), transient('HTTP 500 two'), transient('HTTP 500 three'))
    const error = await withRetry('token request', fn, budget({ maxAttempts: 3 }), io, io.log).catch(e => e)
    expect(calls).toEqual([1, 2, 3])
    expect(io.sleeps).toHaveLength(2)
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe('Gave up after 3 attempts. The last one: HTTP 500 three')
    expect(error.transient).toBe(false)
  })

  it('honours Retry-After over back-off', async () => {
    const io = fakeIo()
    const { fn } = attempts(transient('HTTP 429', 2000))
    await withRetry('token request', fn, budget(), io, io.log)
    expect(io.sleeps).toEqual([2000])
  })

  it('fails at once, saying when to try again, when Retry-After would pass the deadline', async () => {
    const io = fakeIo()
    const { fn, calls } = attempts(transient('HTTP 429', 120_000))
    const error = await withRetry('token request', fn, budget(), io, io.log).catch(e => e)
    expect(calls).toEqual([1])
    expect(io.sleeps).toEqual([])
    expect(error.message).toContain(
      `Stopped after 1 attempt: the server asked to wait 2 min (Retry-After), past the 60 s deadline; try again after ${new Date(START + 120_000).toISOString()}`
    )
  })

  it('stops when back-off would pass the deadline', async () => {
    const io = fakeIo()
    const { fn, calls } = attempts(transient(), transient(), transient())
    const error = await withRetry('token request', fn, budget({ deadline: START + 2000 }), io, io.log).catch(e => e)
    expect(calls).toEqual([1, 2])
    expect(io.sleeps).toEqual([750])
    expect(error.message).toMatch(/^Stopped after 2 attempts: the next back-off \(2 s\) would pass the 60 s deadline/)
  })

  it('waits out a failure that asks for it on its own schedule, without counting it, then counts again past its bound', async () => {
    const io = fakeIo()
    const updating = () =>
      new ActionError('managed-identity', 'HTTP 410', { transient: true, waitOut: { everyMs: 10_000, upToMs: 30_000 } })
    const { fn, calls } = attempts(updating(), updating(), updating(), updating(), transient(), updating())
    await expect(
      withRetry('managed identity token request', fn, budget({ maxAttempts: 4, deadline: START + 90_000 }), io, io.log)
    ).resolves.toBe('token')
    // Three waits of 10 s (its bound, 30 s), then the 4th, 5th and 6th count: back-off 1 s, 2 s, 4 s.
    expect(calls).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(io.sleeps).toEqual([10_000, 10_000, 10_000, 750, 1500, 3000])
    expect(io.logs.map(l => l.message)).toContain('managed identity token request: attempt 4 (1 counted) of 4 failed: HTTP 410')
    expect(io.logs.map(l => l.message)).toContain('managed identity token request: waiting 10.0 s (waiting out) before attempt 2')
  })

  it('still gives up at max-attempts once the waiting out is spent', async () => {
    const io = fakeIo()
    const updating = () =>
      new ActionError('managed-identity', 'HTTP 410', { transient: true, waitOut: { everyMs: 10_000, upToMs: 10_000 } })
    const { fn, calls } = attempts(updating(), updating(), updating(), updating())
    const error = await withRetry('x', fn, budget({ maxAttempts: 2, deadline: START + 90_000 }), io, io.log).catch(e => e)
    expect(calls).toEqual([1, 2, 3])
    expect(error.message).toBe('Gave up after 3 attempts. The last one: HTTP 410')
  })

  it('logs each failed attempt and wait at debug level', async () => {
    const io = fakeIo()
    const { fn } = attempts(transient('HTTP 503', 1000))
    await withRetry('token request', fn, budget(), io, io.log)
    expect(io.logs).toEqual([
      { level: 'debug', message: 'token request: attempt 1 of 4 failed: HTTP 503' },
      { level: 'debug', message: 'token request: waiting 1.0 s (Retry-After) before attempt 2' }
    ])
  })
})

describe('backoffMs', () => {
  it('doubles from 1 s to a 10 s cap, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4, 5, 6].map(n => backoffMs(n, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 10000, 10000])
    expect([1, 2, 5].map(n => backoffMs(n, () => 0))).toEqual([500, 1000, 5000])
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', START)).toBe(2000)
    expect(parseRetryAfter(new Date(START + 30_000).toUTCString(), START)).toBe(30_000)
    expect(parseRetryAfter(new Date(START - 30_000).toUTCString(), START)).toBe(0)
    expect(parseRetryAfter(['5'], START)).toBe(5000)
  })

  it('reads the obsolete RFC 850 and asctime forms a recipient must accept (RFC 9110 §5.6.7)', () => {
    // Fixed dates, read against a fixed instant: parsing, not the fake clock, is under test.
    const sent = Date.parse('2026-11-25T10:00:00Z')
    expect(parseRetryAfter('Wednesday, 25-Nov-26 10:01:00 GMT', sent)).toBe(60_000)
    expect(parseRetryAfter('Wed Nov 25 10:01:00 2026', sent)).toBe(60_000)
  })

  it.each(['soon', '-5', '2.5', '1e3', '0x10', '2026-11-25T10:01:00Z', 'Nov 25 2026', 'Wed, 25 Nov 2026 10:01:00 +0000', ''])(
    "ignores '%s', which is neither delta-seconds nor an HTTP-date",
    value => {
      expect(parseRetryAfter(value, START)).toBeUndefined()
    }
  )

  it('ignores an absent header', () => {
    expect(parseRetryAfter(undefined, START)).toBeUndefined()
  })
})

describe('withRetry and odd Retry-After values', () => {
  it('never waits less than the back-off: Retry-After 0 or a past date does not make a tight loop', async () => {
    const io = fakeIo()
    const { fn } = attempts(transient('HTTP 503', 0), transient('HTTP 503', 0), transient('HTTP 503', 0))
    await withRetry('token request', fn, budget(), io, io.log)
    expect(io.sleeps).toEqual([750, 1500, 3000])
  })

  it('names a real date, or none, for a far-future Retry-After', async () => {
    const io = fakeIo()
    const farButReal = await withRetry('x', attempts(transient('HTTP 429', 400 * 86_400_000)).fn, budget(), io, io.log).catch(e => e)
    expect(farButReal.message).toContain(
      `asked to wait 400 days (Retry-After), past the 60 s deadline; try again after ${new Date(START + 400 * 86_400_000).toISOString()}`
    )
    const absurd = await withRetry('x', attempts(transient('HTTP 429', 1e21)).fn, budget(), io, io.log).catch(e => e)
    expect(absurd.message).toMatch(/no calendar date is that far off/)
    expect(absurd.message).not.toMatch(/\+0\d{5}-/)
  })
})

import { describe, expect, it } from '@jest/globals'
import { assertionRenewalAt, expiryOf, retryAt, tokenRenewalAt } from '../../src/renewal/schedule.js'
import { fakeJwt, START } from '../helpers/fake-io.js'

const MINUTE = 60_000
// What @azure/identity's WorkloadIdentityCredential does with the file: keeps its content 5 minutes.
const CLIENT_CACHE = 5 * MINUTE

describe('when a token is renewed', () => {
  it('at half its lifetime when the answer gives no refresh_in', () => {
    expect(tokenRenewalAt({ expiresOn: new Date(START + 60 * MINUTE) }, START)).toBe(START + 30 * MINUTE)
  })

  it("at refresh_in when Entra ID advises it (a managed identity's 24-hour token, refreshed after 12)", () => {
    expect(tokenRenewalAt({ expiresOn: new Date(START + 24 * 60 * MINUTE), refreshIn: 6 * 3600 }, START)).toBe(START + 6 * 60 * MINUTE)
  })

  it('never after the middle of what is left, whatever refresh_in says', () => {
    expect(tokenRenewalAt({ expiresOn: new Date(START + 10 * MINUTE), refreshIn: 9 * 60 }, START)).toBe(START + 5 * MINUTE)
  })
})

/** Whether a client that reads the file at `readAt` and keeps it 5 minutes is handed a live assertion throughout. */
function validWhileCached(exp: number, readAt: number): boolean {
  return readAt + CLIENT_CACHE < exp
}

describe('when a client assertion is renewed', () => {
  it('a certificate assertion (10 minutes) every 4 minutes, so any read stays valid for the 5 minutes a client keeps it', () => {
    const exp = START + 10 * MINUTE
    const next = assertionRenewalAt(fakeJwt({ exp: exp / 1000 }), START)
    expect(next).toBe(START + 4 * MINUTE)
    // The last moment that assertion can be read is just before it is replaced.
    for (let readAt = START; readAt < next; readAt += 10_000) expect(validWhileCached(exp, readAt)).toBe(true)
  })

  it("GitHub's ID token (5 minutes) a quarter of the way through its life: every 75 s", () => {
    expect(assertionRenewalAt(fakeJwt({ exp: (START + 5 * MINUTE) / 1000 }), START)).toBe(START + 75_000)
  })

  it("a managed identity's day-long exchange token at least every hour", () => {
    expect(assertionRenewalAt(fakeJwt({ exp: (START + 24 * 60 * MINUTE) / 1000 }), START)).toBe(START + 60 * MINUTE)
  })

  it('an assertion of a few seconds (the simulator) several times in its life', () => {
    expect(assertionRenewalAt(fakeJwt({ exp: (START + 8000) / 1000 }), START)).toBe(START + 2000)
  })

  it('every minute when its expiry cannot be read', () => {
    expect(assertionRenewalAt('opaque', START)).toBe(START + MINUTE)
    expect(expiryOf(fakeJwt({ exp: 'tomorrow' }))).toBeUndefined()
  })
})

describe('after a failed renewal', () => {
  it('tries again within a minute, sooner while what is in the file still lives', () => {
    expect(retryAt(START, undefined)).toBe(START + MINUTE)
    expect(retryAt(START, START + 60 * MINUTE)).toBe(START + MINUTE)
    expect(retryAt(START, START + 8000)).toBe(START + 5000)
    expect(retryAt(START, START + 40_000)).toBe(START + 10_000)
    // Expired already: an outage that outlasts the token costs a request a minute, not every second.
    expect(retryAt(START, START - MINUTE)).toBe(START + MINUTE)
    expect(retryAt(START, START)).toBe(START + MINUTE)
  })
})

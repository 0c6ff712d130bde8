import { describe, expect, it } from '@jest/globals'
import { readTokenResponse } from '../../src/token-response.js'

const SENT = Date.parse('2026-11-25T10:00:00Z')
const ok = (fields: Record<string, unknown>) =>
  readTokenResponse({ access_token: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 3599, ...fields }, SENT)

describe('readTokenResponse', () => {
  it('gives the token and its expiry counted from when the request was sent', () => {
    expect(ok({})).toEqual({ accessToken: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl', expiresIn: 3599, expiresOn: new Date(SENT + 3_599_000) })
  })

  it.each([
    ['a string of seconds (managed identity)', '86399', 86399],
    ['two days', 172_800, 172_800]
  ])('accepts expires_in as %s', (_, value, seconds) => {
    expect(ok({ expires_in: value })).toMatchObject({ expiresIn: seconds })
  })

  it.each([
    ['1e20', 1e20],
    ['true', true],
    ['[5]', [5]],
    ['"0x10"', '0x10'],
    ['0', 0],
    ['-5', -5],
    ['2.5', 2.5],
    ['more than two days', 172_801]
  ])('refuses expires_in %s', (_, value) => {
    expect(ok({ expires_in: value })).toEqual({ problem: 'no valid expires_in' })
  })

  it('refuses a body with neither expires_in nor expires_on', () => {
    expect(ok({ expires_in: undefined })).toEqual({ problem: 'no valid expires_in or expires_on' })
  })

  // App Service and Container Apps (api-version 2019-08-01) answer expires_on alone
  // (learn.microsoft.com, "Managed identities for App Service and Azure Functions", REST example).
  const expiresOnOnly = (value: unknown) => ok({ expires_in: undefined, expires_on: value })
  const inADay = Math.floor(SENT / 1000) + 86_399
  it.each([
    ['epoch seconds in a string (as Learn shows it)', String(inADay)],
    ['epoch seconds as a number', inADay],
    ['an ISO 8601 date in UTC', new Date(inADay * 1000).toISOString()],
    ['an ISO 8601 date with an offset', new Date(inADay * 1000 + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+02:00')]
  ])('derives expires_in from expires_on alone, given as %s', (_, value) => {
    expect(expiresOnOnly(value)).toEqual({
      accessToken: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl',
      expiresIn: 86_399,
      expiresOn: new Date(inADay * 1000)
    })
  })

  it.each([
    ['a date in loose words', 'tomorrow at noon'],
    ['a date without an offset', '2026-11-26T10:00:00'],
    ['more than two days ahead', inADay + 2 * 86_400],
    ['long past', Math.floor(SENT / 1000) - 3600],
    ['a fraction', inADay + 0.5],
    ['true', true]
  ])('refuses expires_on %s', (_, value) => {
    expect(expiresOnOnly(value)).toEqual({ problem: 'no valid expires_on' })
  })

  it('refuses an expires_on alone that has passed, within the clock skew it would be believed otherwise', () => {
    expect(expiresOnOnly(Math.floor(SENT / 1000) - 60)).toEqual({ problem: 'an expires_on that has passed (2026-11-25T09:59:00.000Z)' })
  })

  it("reports the endpoint's expires_on over the one counted from expires_in when both are there (IMDS)", () => {
    expect(ok({ expires_in: '86399', expires_on: String(inADay - 5) })).toEqual({
      accessToken: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl',
      expiresIn: 86_399,
      expiresOn: new Date((inADay - 5) * 1000)
    })
  })

  it.each([
    ['a CR LF and a header', 'abc\r\nHost: evil.example'],
    ['a space', 'abc def'],
    ['a control character', 'abc\u0000'],
    ['non-ASCII', 'abcé'],
    ['= in the middle', 'ab=c']
  ])('refuses an access_token with %s', (_, token) => {
    expect(ok({ access_token: token })).toEqual({ problem: 'an access_token with characters a bearer token cannot have' })
  })

  it('refuses an access_token too short to mask without blanking out the log', () => {
    expect(ok({ access_token: 'a' })).toEqual({ problem: 'an access_token 1 character long, too short to be real (at least 16)' })
    expect(ok({ access_token: 'abcdefghij012345' })).toHaveProperty('accessToken')
  })

  it('accepts every b64token character (RFC 6750 §2.1)', () => {
    expect(ok({ access_token: 'aZ09-._~+/aZ09-._~+/==' })).toMatchObject({ accessToken: 'aZ09-._~+/aZ09-._~+/==' })
  })

  it.each(['bearer', 'BEARER', undefined])('accepts token_type %s', tokenType => {
    expect(ok({ token_type: tokenType })).toHaveProperty('accessToken')
  })

  it.each(['pop', 'N_A', 5])('refuses token_type %s, which is not a bearer token', tokenType => {
    expect(ok({ token_type: tokenType })).toEqual({ problem: expect.stringMatching(/token_type that is not Bearer/) })
  })

  it('says what a body without a token holds', () => {
    expect(readTokenResponse({ error: 'x' }, SENT)).toEqual({ problem: 'JSON without an access_token (fields: error)' })
    expect(readTokenResponse(undefined, SENT)).toEqual({ problem: 'a body that is not JSON' })
  })
})

describe('refresh_in', () => {
  it('keeps the advice to renew early when it comes before the expiry', () => {
    expect(ok({ expires_in: 86399, refresh_in: 43199 })).toMatchObject({ expiresIn: 86399, refreshIn: 43199 })
    expect(ok({ expires_in: '86399', refresh_in: '43199', expires_on: String(SENT / 1000 + 86399) })).toMatchObject({ refreshIn: 43199 })
  })

  it.each([
    ['absent', undefined],
    ['not before the expiry', 3599],
    ['after the expiry', 7200],
    ['zero', 0],
    ['not a number', 'soon']
  ])('leaves it out when it is %s', (_, value) => {
    const token = ok({ refresh_in: value })
    expect(token).toMatchObject({ expiresIn: 3599 })
    expect(token).not.toHaveProperty('refreshIn')
  })
})

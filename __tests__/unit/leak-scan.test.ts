import { describe, expect, it } from '@jest/globals'
import { findLeaks, visibleLog } from '../../scripts/runner.mjs'

// The scan every end-to-end test relies on must itself catch what a person would see.
const SECRET = 'abc8Q~ThisIsTheSecretValue_0123456789xyz'
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0wMTIzNDU2Nzg5'

describe('findLeaks', () => {
  it.each([
    ['raw', `Error: ${SECRET}`],
    ['form-encoded (~ as %7E)', `client_secret=${SECRET.replace('~', '%7E')}`],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['inside an escaped command, as the runner unescapes it', `::error::line one%0A${SECRET.replace('~', '%257E')}`]
  ])('finds a secret printed %s', (_, stdout) => {
    expect(findLeaks({ stdout }, { secret: SECRET })).toEqual(['secret'])
  })

  it('finds a part of a secret, as a cut in an echoed answer would show it, but not a part of every JWT', () => {
    expect(findLeaks({ stdout: `description: ...client_secret=${SECRET.slice(0, 12)}…` }, { secret: SECRET })).toEqual(['secret'])
    expect(findLeaks({ stdout: `…${SECRET.replace('~', '%7E').slice(3, 15)}` }, { secret: SECRET })).toEqual(['secret'])
    expect(findLeaks({ stdout: `sig=${JWT.split('.')[2].slice(5, 17)}` }, { token: JWT })).toEqual(['token'])
    expect(findLeaks({ stdout: `header ${JWT.split('.')[0]}` }, { token: JWT })).toEqual([])
  })

  it("finds a JWT's signature segment on its own", () => {
    expect(findLeaks({ stdout: `sig=${JWT.split('.')[2]}` }, { token: JWT })).toEqual(['token'])
  })

  it('finds a secret printed before its mask was registered, and in the job summary, which is never masked', () => {
    expect(findLeaks({ stdout: `${SECRET}\n::add-mask::${SECRET}` }, { secret: SECRET })).toEqual(['secret'])
    expect(findLeaks({ stdout: `::add-mask::${SECRET}`, summary: `| x | ${SECRET} |` }, { secret: SECRET })).toEqual(['secret'])
  })

  it('accepts a secret that the runner masks, in each spelling the action registered', () => {
    const formEncoded = SECRET.replace('~', '%7E')
    const stdout = `::add-mask::${SECRET}\n::add-mask::${formEncoded.replace('%', '%25')}\nError: ${SECRET} and body client_secret=${formEncoded}`
    expect(findLeaks({ stdout }, { secret: SECRET })).toEqual([])
    expect(visibleLog({ stdout })).toBe('Error: *** and body client_secret=***\n\n')
  })
})

import { describe, expect, it } from '@jest/globals'
import { cutAtBoundary, inert, redact, serverText } from '../../src/inert-text.js'

/** What the runner would take for a command on each stdout line (actions/runner ActionCommandManager). */
function commandsIn(stdout: string): string[] {
  return stdout.split(/\r\n|\n|\r/).filter(line => /^[\s\u0085]*::/.test(line) || line.includes('##['))
}

describe('inert', () => {
  it.each([
    ['a line break and a set-output command', 'Release bot\n::set-output name=token::evil'],
    ['a carriage return and a warning', 'bot\r::warning::fake'],
    ['a legacy command anywhere', 'bot ##[add-mask]a'],
    ['a next line character (U+0085)', 'bot\u0085::error::x'],
    ['a line separator (U+2028)', 'bot\u2028::error::x'],
    ['a no-break space before the command', '\u00a0::stop-commands::x'],
    ['a command at the start', '::add-mask::e']
  ])('makes %s inert in a single-line message', (_, text) => {
    const shown = inert(text, false)
    expect(shown.split(/\r\n|\n|\r/)).toHaveLength(1)
    expect(commandsIn(shown)).toEqual([])
  })

  it("keeps a multi-line message's own lines, and defuses each of them", () => {
    expect(inert('first\n::error::x\n  ::warning::y\nlast ##[debug]z', true)).toBe('first\n: :error::x\n  : :warning::y\nlast ## [debug]z')
  })

  it('removes ANSI colour and cursor sequences, and marks other control characters', () => {
    expect(inert('\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\u0007\u0000', false)).toBe('red ok\ufffd\ufffd')
  })

  it('leaves ordinary text alone', () => {
    const text = "Got a token for app 'Release bot' (00001111-aaaa-2222-bbbb-3333cccc4444): roles User.Read.All; ratio 1:2 ##x"
    expect(inert(text, false)).toBe(text)
  })
})

describe('inert, with invisible format characters', () => {
  it.each([
    ['a right-to-left override (U+202E)', 'Release bot \u202eredaeh\u202c', 2],
    ['bidi embeddings and isolates (U+202A, U+2066-U+2069)', '\u202aa\u2066b\u2067c\u2068d\u2069', 5],
    ['zero-width characters (U+200B-U+200F, U+2060-U+2064, U+FEFF)', 'a\u200bb\u200cc\u200dd\u200ee\u200ff\u2060g\u2064h\ufeff', 8],
    ['tag characters (U+E0000-U+E007F), unassigned ones included', 'flag\u{e0001}\u{e0067}\u{e0062}\u{e007f}\u{e0000}', 5],
    ['other format characters (soft hyphen, Arabic letter mark)', 'a\u00adb\u061cc', 2]
  ])('marks %s, so a line reads as it is', (_, text, count) => {
    const shown = inert(text, false)
    expect(shown).not.toMatch(/[\p{Cf}\u{e0000}-\u{e007f}]/u)
    expect(shown.match(/\ufffd/g)).toHaveLength(count)
  })

  it('keeps visible text around them, letters of any script included', () => {
    expect(inert('Zugriff für Ünïcode ✓ \u202eabc', true)).toBe('Zugriff für Ünïcode ✓ \ufffdabc')
  })
})

describe('redact', () => {
  it('replaces every registered secret, the longest first, as the runner shows it', () => {
    expect(redact('a=abc123456 b=abc123456789 c=x', ['abc123456', 'abc123456789', ''])).toBe('a=*** b=*** c=x')
  })
})

describe('serverText', () => {
  const SECRET = 'Xq8Q~k3Jz9Lw2Vb7Nm4Rt6Yp1Hs5Df0Ga.Ce_Uiz'
  const formEncoded = SECRET.replace('~', '%7E')
  const masks = (text: string) => redact(text, [SECRET, formEncoded])
  /** Every part of the secret of `length` characters. */
  const parts = (length: number) => Array.from({ length: SECRET.length - length + 1 }, (_, i) => SECRET.slice(i, i + length))

  it('removes an echoed secret before cutting, wherever the cut falls in it', () => {
    for (let offset = 0; offset <= formEncoded.length; offset++) {
      const echoed = `request: ${'p'.repeat(100 - offset)} client_secret=${formEncoded}&scope=x client_secret=${SECRET}`
      const shown = serverText(echoed, 126, masks)
      expect(shown.length).toBeLessThanOrEqual(126)
      for (const part of parts(3)) expect(shown).not.toContain(part)
    }
  })

  it('removes a registered secret with spaces and punctuation before cutting, which the cut alone would not', () => {
    const password = 'open sesame: 4 8 15 16 23 42!'
    for (let offset = 1; offset < password.length; offset++) {
      const shown = serverText(`proxy said: ${password} is wrong`, 12 + offset, text => redact(text, [password]))
      expect(shown).not.toMatch(/open|sesame|\d|!/)
    }
    // Cut alone, the words before the cut would show.
    expect(serverText(`proxy said: ${password} is wrong`, 30, text => text)).toBe('proxy said: open sesame: 4 8…')
  })

  it('never ends in a part of a token, even one no mask knows', () => {
    for (let offset = 1; offset < SECRET.length; offset++) {
      const shown = serverText(`AADSTS7000215: Invalid client secret ${SECRET} provided.`, 38 + offset, text => text)
      expect(shown).toBe('AADSTS7000215: Invalid client secret…')
    }
  })

  it('keeps text that fits as it is, on one line, and bounds a megabyte', () => {
    expect(serverText('trace\r\nid', 100, text => text)).toBe('trace id')
    expect(serverText(42, 100, text => text)).toBe('')
    expect(serverText(`${'word '.repeat(200_000)}`, 100, text => text)).toBe(`${'word '.repeat(19)}word…`)
  })
})

describe('cutAtBoundary', () => {
  it('never cuts a surrogate pair in half', () => {
    // A lone surrogate does not survive UTF-8: it would be printed as U+FFFD.
    const wellFormed = (text: string) => Buffer.from(text).toString() === text
    for (const [max, shown] of [
      [6, 'ab 😀…'],
      [5, 'ab…']
    ] as const) {
      expect(cutAtBoundary(`ab ${'😀'.repeat(10)}`, max)).toBe(shown)
      expect(wellFormed(shown)).toBe(true)
    }
  })
})

describe('redact, beyond what the runner masks', () => {
  const secret = 'hostile8Q~NotARealSecret.0123456789abcdefghij'
  const form = 'hostile8Q%7ENotARealSecret.0123456789abcdefghij'
  const shown = (text: string) => redact(text, [secret, form])

  it.each([
    ['cut short', `'${secret.slice(0, 20)}...'`],
    ['only its tail', `'...${secret.slice(-20)}'`],
    ['an inner part', secret.slice(4, 31)],
    ['split by a space', `${secret.slice(0, 12)} ${secret.slice(12)}`],
    ['percent-encoded with lower-case hex', form.replace('%7E', '%7e')],
    ['in base64', Buffer.from(secret).toString('base64')],
    ['in base64url', Buffer.from(secret).toString('base64url')]
  ])('a secret echoed %s', (_, echoed) => {
    const text = shown(`the gateway said: ${echoed} (end)`)
    expect(text).toMatch(/^the gateway said: .*\*\*\*.* \(end\)$/)
    for (let i = 0; i + 10 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 10))
    expect(text).not.toContain(Buffer.from(secret).toString('base64').slice(0, 20))
  })

  it.each([0, 1, 2])('a request body echoed in base64 with the secret %i bytes into a base64 group, whole or cut', prefix => {
    const body = `${'x'.repeat(prefix)}grant_type=client_credentials&client_secret=${form}&scope=graph`
    for (const encoded of [Buffer.from(body).toString('base64'), Buffer.from(body).toString('base64').slice(0, 60)]) {
      const text = shown(`request was ${encoded}`)
      const decoded = Buffer.from(text.replace('request was ', '').replace(/\*\*\*/g, ''), 'base64').toString('latin1')
      for (let i = 0; i + 10 <= form.length; i++) expect(decoded).not.toContain(form.slice(i, i + 10))
    }
  })

  it('keeps text that shares less than 10 characters in a row with any secret', () => {
    expect(shown('hostile8Q and 123456789 are everyday words here')).toBe('hostile8Q and 123456789 are everyday words here')
  })

  it("leaves a multi-line secret's runs to the masks of its lines", () => {
    expect(redact('a BEGIN PRIVATE KEY line', ['-----BEGIN PRIVATE KEY-----\nMIIEvQ'])).toBe('a BEGIN PRIVATE KEY line')
  })
})

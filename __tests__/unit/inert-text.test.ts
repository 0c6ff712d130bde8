import { describe, expect, it } from '@jest/globals'
import { inert } from '../../src/inert-text.js'

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

import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { powershellQuote, shellQuote } from '../../src/shell-quote.js'

/** The arguments bash passes to a command, one per line as JSON. */
function wordsAsBashSeesThem(command: string): string[] {
  const script = `args() { for a in "$@"; do printf '%s\\0' "$a"; done; }; args ${command}`
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1)
}

describe('shellQuote', () => {
  it.each([
    ['a branch name with a quote and a command', "repo:o/r:ref:refs/heads/x';touch pwned;'"],
    ['command substitution', 'repo:o/r:ref:refs/heads/$(id)`id`'],
    ['JSON', '{"subject":"a b","audiences":["api://x"]}'],
    ['a newline', 'a\nb'],
    ['an empty string', '']
  ])('turns %s into exactly one word for bash', (_, value) => {
    expect(wordsAsBashSeesThem(`${shellQuote(value)} ${shellQuote('next')}`)).toEqual([value, 'next'])
  })

  it('leaves a plain GUID unquoted, for readability', () => {
    expect(shellQuote('00001111-aaaa-2222-bbbb-3333cccc4444')).toBe('00001111-aaaa-2222-bbbb-3333cccc4444')
  })
})

describe('powershellQuote', () => {
  it.each([
    ['a plain value', 'User.Read.All', "'User.Read.All'"],
    ['a quote', "Task.Read';calc;'", "'Task.Read'';calc;'''"],
    ['typographic quotes, which PowerShell also ends strings with', 'Task.Read’;calc;’', "'Task.Read’’;calc;’’'"],
    ['$() and backticks, which stay literal in single quotes', 'api://x$(calc)`whoami`', "'api://x$(calc)`whoami`'"]
  ])('quotes %s as one single-quoted string', (_, value, quoted) => {
    expect(powershellQuote(value)).toBe(quoted)
  })
})

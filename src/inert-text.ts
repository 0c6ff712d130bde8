// ANSI escape sequences (CSI and OSC, ECMA-48 §5.4): a server must not recolour or rewrite the log.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g
// Every other control character, and the characters .NET or JavaScript treat as line breaks
// (NEL U+0085, LS U+2028, PS U+2029): shown as a visible mark instead.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g
// The runner trims leading white space (.NET Char.IsWhiteSpace) before looking for `::`.
const COMMAND_START = /^([\s\u0085\u180e]*):(?=:)/
// A legacy command, `##[name]`, is recognised anywhere in a line (actions/runner, ActionCommand.cs).
const LEGACY_COMMAND = /##\[/g

/**
 * A value from outside (a server's text, a claim) as one line, for a message that has lines of its
 * own: line breaks of every kind become spaces, so the value cannot start a fake line of the log.
 */
export function singleLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n|[\r\n\u000b\u000c\u0085\u2028\u2029]/g, ' ')
}

/**
 * Text for one log call, made inert: nothing in it can become a workflow command or fake a line.
 * Applied once, where lines are written (io.ts), to every message, since messages carry text
 * from outside: server answers, token claims, file contents, certificate subjects.
 *
 * - `multiline` false (core.info, written as it is): every line break becomes a space, so the
 *   message is exactly one line of the log.
 * - `multiline` true (error, warning, debug: @actions/core escapes CR and LF as %0D and %0A, so
 *   they stay inside one command): line breaks are kept, as LF.
 * In both, each line that would start with `::` gets a space after its first colon, `##[` gets
 * one before its bracket, ANSI sequences are removed and other control characters become `�`.
 */
export function inert(text: string, multiline: boolean): string {
  const lines = text
    .replace(ANSI, '')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '\ufffd')
    .split('\n')
    .map(line => line.replace(COMMAND_START, '$1: ').replace(LEGACY_COMMAND, '## ['))
  return lines.join(multiline ? '\n' : ' ')
}

// ANSI escape sequences (CSI and OSC, ECMA-48 §5.4): a server must not recolour or rewrite the log.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g
// Every other control character, and the characters .NET or JavaScript treat as line breaks
// (NEL U+0085, LS U+2028, PS U+2029): shown as a visible mark instead.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g
// Unicode format characters (general category Cf): bidi controls (U+202A-U+202E, U+2066-U+2069),
// zero-width characters (U+200B-U+200F, U+2060-U+2064, U+FEFF), tag characters (U+E0000-U+E007F,
// some of them unassigned, hence the explicit range) and the rest. They are invisible, and a bidi
// override reorders what follows it, so a line could read otherwise than it is (Unicode Technical
// Report #36, "Bidirectional Text Spoofing"); the 'scope' check refuses them in input too.
const FORMAT = /[\p{Cf}\u{e0000}-\u{e007f}]/gu
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
 * one before its bracket, ANSI sequences are removed, and other control characters and the
 * invisible format characters become `�`.
 */
export function inert(text: string, multiline: boolean): string {
  const lines = text
    .replace(ANSI, '')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '\ufffd')
    .replace(FORMAT, '\ufffd')
    .split('\n')
    .map(line => line.replace(COMMAND_START, '$1: ').replace(LEGACY_COMMAND, '## ['))
  return lines.join(multiline ? '\n' : ' ')
}

// A run this long of a one-line secret counts as the secret, as it does for the leak scan of the
// tests: a gateway that quotes a secret cut short, or only its tail, shows no whole mask, and the
// runner matches masks only whole.
const SECRET_RUN = 10
// Values up to this long (secrets, headers, passwords) also have the pieces of their base64 indexed.
const MAX_ENCODED_RUNS = 256

/**
 * `text` with every secret replaced by `***`, as the runner shows a masked value (the longest
 * first, so that a secret containing another is replaced whole), and more than the runner does:
 * each secret also in base64 and base64url at any alignment, with the hex digits of its
 * percent-encoding in either case, and any run of SECRET_RUN or more characters of a one-line
 * secret or of its base64. (A multi-line secret's lines are masks of their own.)
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const compiled = [...new Set(secrets)].filter(Boolean).map(compile)
  if (compiled.length === 0) return text
  let shown = text
  for (const spelling of compiled.flatMap(c => c.spellings).sort((a, b) => b.length - a.length)) {
    if (shown.includes(spelling)) shown = shown.replaceAll(spelling, '***')
  }
  return redactRuns(
    shown,
    compiled.map(c => c.runs)
  )
}

interface Compiled {
  /** Whole spellings to replace. */
  spellings: string[]
  /** Every SECRET_RUN-long piece of the value and of its base64, for a one-line value. */
  runs: Set<string>
}

// Every line the action prints is redacted with the same few secrets: each is compiled once.
const compiledSecrets = new Map<string, Compiled>()

function compile(value: string): Compiled {
  let compiled = compiledSecrets.get(value)
  if (compiled) return compiled
  const encoded = base64Spellings(value)
  const spellings = new Set([value, ...encoded])
  if (/%[0-9A-Fa-f]{2}/.test(value)) spellings.add(value.replace(/%[0-9A-Fa-f]{2}/g, hex => hex.toLowerCase()))
  const runs = new Set<string>()
  // A multi-line secret's lines are masks of their own. The pieces of a long value's base64 (a
  // token, hundreds of characters) are left out: they would cost milliseconds at every start for
  // the rare server that echoes a token base64-encoded and cut; its whole base64 is replaced.
  if (!/[\r\n]/.test(value)) {
    for (const spelling of value.length <= MAX_ENCODED_RUNS ? [value, ...encoded] : [value]) {
      for (let i = 0; i + SECRET_RUN <= spelling.length; i++) runs.add(spelling.slice(i, i + SECRET_RUN))
    }
  }
  compiled = { spellings: [...spellings].filter(s => s.length >= 4), runs }
  compiledSecrets.set(value, compiled)
  return compiled
}

/**
 * A value's base64 and base64url as they appear inside a longer encoded text: the value can start
 * at any of the three byte positions of a base64 group (an echoed request body encoded whole), so
 * for each, the characters that its bytes alone decide (RFC 4648 §4, §5).
 */
export function base64Spellings(value: string): string[] {
  const bytes = Buffer.from(value)
  const spellings: string[] = []
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '')
    const core = encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6))
    spellings.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return [...new Set(spellings)].filter(spelling => spelling.length >= SECRET_RUN)
}

/** Every run of SECRET_RUN or more characters that a one-line secret (or its base64) also has, as `***`. */
function redactRuns(text: string, runs: Set<string>[]): string {
  if (text.length < SECRET_RUN) return text
  let out = ''
  let copied = 0
  let end = -1
  for (let i = 0; i + SECRET_RUN <= text.length; i++) {
    const piece = text.slice(i, i + SECRET_RUN)
    if (!runs.some(set => set.has(piece))) continue
    if (i > end) {
      // A new run: what lies before it is kept, then one mark for the whole run.
      if (end >= 0) out += '***'
      out += text.slice(copied, i)
    }
    end = i + SECRET_RUN
    copied = end
  }
  if (end < 0) return text
  return `${out}***${text.slice(copied)}`
}

// What secrets and tokens are made of: letters and digits, the punctuation of base64 and base64url
// (RFC 4648), of form encoding (WHATWG URL, application/x-www-form-urlencoded) and of Entra's
// client secrets (`~`).
const TOKEN_CHARACTER = /^[\p{L}\p{N}\p{M}~._%+/=*-]$/u

/**
 * A field of a server's answer, as one line of at most `max` characters, for a message. The secrets
 * the action knows (`redact`, the values registered as masks) are replaced before anything is cut:
 * a mask matches a secret only whole. A cut never ends inside a word or a token: the run of token
 * characters it falls in is dropped whole, since it could be the start of a secret the server
 * echoed in part, which no mask would match.
 */
export function serverText(value: unknown, max: number, redactSecrets: (text: string) => string): string {
  if (typeof value !== 'string') return ''
  return cutAtBoundary(singleLine(redactSecrets(value)), max)
}

/** `text` cut to at most `max` characters and marked `…`, ending before the token it would cut. */
export function cutAtBoundary(text: string, max: number): string {
  if (text.length <= max) return text
  // The character (code point) that the code unit at `i` belongs to is part of a token.
  const tokenAt = (i: number) => {
    const low = i > 0 && isLowSurrogate(text.charCodeAt(i))
    return TOKEN_CHARACTER.test(String.fromCodePoint(text.codePointAt(low ? i - 1 : i)!))
  }
  let end = max - 1
  // Never half a surrogate pair.
  if (isLowSurrogate(text.charCodeAt(end))) end--
  if (tokenAt(end)) while (end > 0 && tokenAt(end - 1)) end--
  return `${text.slice(0, end).trimEnd()}…`
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/**
 * A value as one POSIX shell word (IEEE Std 1003.1, 2.2.3 Single-Quotes): inside single quotes
 * nothing is special, and a `'` is written as `'\''`. Every value in a command the action prints
 * for pasting goes through this, because some of them (a branch name in an OIDC subject, which
 * Git allows to contain `'`) come from outside.
 */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * A value as one PowerShell single-quoted string (about_Quoting_Rules): nothing expands inside,
 * and a quote is doubled. PowerShell also takes the typographic quotes ‘ ’ ‚ ‛ as single quotes,
 * so they are doubled too.
 */
export function powershellQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, quote => quote + quote)}'`
}

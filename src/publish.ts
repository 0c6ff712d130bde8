import type { TokenFacts } from './claims.js'
import { inert } from './inert-text.js'
import type { Io } from './io.js'
import type { Settings } from './settings.js'
import type { Token } from './token-response.js'

/** Writes the outputs, the one success line and, if asked, the job summary. Never the token anywhere but its output. */
export async function publish(
  io: Pick<Io, 'setOutput' | 'writeSummary' | 'log' | 'now'>,
  settings: Pick<Settings, 'clientId' | 'tenantId' | 'scope' | 'jobSummary' | 'source'>,
  token: Token,
  facts: TokenFacts
): Promise<void> {
  const expiresOn = token.expiresOn.toISOString().replace(/\.\d{3}Z$/, 'Z')
  io.setOutput('token', token.accessToken)
  io.setOutput('expires-in', String(token.expiresIn))
  io.setOutput('expires-on', expiresOn)
  io.setOutput('tenant-id', facts.tenantId)
  io.setOutput('roles', facts.roles.join(','))

  // A managed identity's own token has no client-id input: its client ID is the token's appid.
  const clientId = settings.clientId || facts.appId || 'unknown'
  const name = facts.appName ? `${facts.appName} (${clientId})` : clientId
  const who =
    settings.source.kind === 'managed-identity'
      ? `managed identity ${name}`
      : `app ${facts.appName ? `'${facts.appName}' (${clientId})` : clientId}`
  const tenant =
    !settings.tenantId || facts.tenantId === settings.tenantId
      ? facts.tenantId || settings.tenantId || 'unknown'
      : facts.tenantId
        ? `${settings.tenantId} (${facts.tenantId})`
        : settings.tenantId
  const minutes = Math.round((token.expiresOn.getTime() - io.now()) / 60_000)
  const roles = facts.decoded ? `roles: ${facts.roles.join(', ') || 'none'}` : 'roles: unknown (opaque token)'
  io.log.info(
    `Got a token for ${who} in tenant ${tenant}, scope ${settings.scope}, ${roles}; it expires at ${expiresOn} (in ${minutes} min).`
  )

  if (settings.jobSummary) {
    const cell = (text: string) => markdownText(inert(text, false)) || '-'
    const rows: [string, string][] = [
      [settings.source.kind === 'managed-identity' ? 'Managed identity' : 'App', name],
      ['Tenant', tenant],
      ['Scope', settings.scope],
      ['Roles', facts.decoded ? facts.roles.join(', ') : 'unknown (opaque token)'],
      ['Expires', `${expiresOn} (in ${minutes} min)`]
    ]
    await io.writeSummary(
      ['### Microsoft Graph token', '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`), ''].join('\n')
    )
  }
}

// GitHub renders the summary as GitHub Flavored Markdown, whose autolink extension links bare
// `www.` names, `scheme:` URLs and e-mail addresses (github.github.com/gfm, "Autolinks
// (extension)"): it looks for the literal characters `www.`, `:` and `@`. As numeric character
// references (CommonMark §6.2, "Entity and numeric character references"), `.`, `:` and `@` show
// the same, but no longer spell a link, so an app named `www.evil.example` is text, not a link.
const CHARACTER_REFERENCES: Record<string, string> = { '&': '&amp;', '.': '&#46;', ':': '&#58;', '@': '&#64;' }

/**
 * Text for one table cell of the summary, shown as it is: one line (a raw line break would end the
 * table and open a block of its own), Markdown's syntax characters escaped, and no autolink.
 */
export function markdownText(text: string): string {
  return text.replace(/[&.:@|\\`<>*_~[\]]/g, c => CHARACTER_REFERENCES[c] ?? `\\${c}`)
}

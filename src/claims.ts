import { ActionError } from './errors.js'
import { decodeClaims } from './jwt.js'
import { isGuid } from './settings.js'
import { shellQuote } from './shell-quote.js'

/** What the access token says about itself, for outputs and the log. Empty when it is opaque. */
export interface TokenFacts {
  /** `tid`: the tenant GUID. */
  tenantId: string
  /** `roles`: the application permissions granted with admin consent. */
  roles: string[]
  /** `app_displayname`. */
  appName: string
  /** `appid` (v1 tokens) or `azp` (v2). */
  appId: string
  /** Whether the claims could be read at all. */
  decoded: boolean
}

// A role value as Entra allows it: printable ASCII without spaces (learn.microsoft.com, "Add app
// roles to your application": the value cannot contain spaces). Also refused: a comma, which would
// split the comma-separated output, and what a later step's log would read as a workflow command
// when it echoes the output (`::` at the start, `##[` anywhere).
const ROLE_VALUE = /^(?!::)(?!.*##\[)[\x21-\x2b\x2d-\x7e]+$/

/**
 * Reads the claims best-effort; `reason` says why they could not be read. The outputs carry only
 * what they promise, so a `tid` that is not a GUID and role values that could not be one are
 * dropped, each with a note for the debug log.
 */
export function inspectToken(accessToken: string): { facts: TokenFacts; reason?: string; dropped: string[] } {
  const decoded = decodeClaims(accessToken)
  if ('reason' in decoded) {
    return { facts: { tenantId: '', roles: [], appName: '', appId: '', decoded: false }, reason: decoded.reason, dropped: [] }
  }
  const { claims } = decoded
  const dropped: string[] = []
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  const tid = text(claims.tid)
  if (tid && !isGuid(tid)) dropped.push(`The token's tid claim is not a GUID (${JSON.stringify(tid)}); the tenant-id output stays empty.`)
  const roles: string[] = []
  for (const role of Array.isArray(claims.roles) ? claims.roles : []) {
    if (typeof role === 'string' && ROLE_VALUE.test(role)) roles.push(role)
    else dropped.push(`The token's roles claim has a value that is not a role name (${JSON.stringify(role)}); it is left out.`)
  }
  return {
    facts: {
      tenantId: isGuid(tid) ? tid.toLowerCase() : '',
      roles,
      appName: text(claims.app_displayname),
      appId: text(claims.appid) || text(claims.azp),
      decoded: true
    },
    dropped
  }
}

/** The required roles the token lacks, compared case-insensitively, in the order required. */
export function findMissingRoles(required: string[], granted: string[]): string[] {
  const have = new Set(granted.map(r => r.toLowerCase()))
  return required.filter(r => !have.has(r.toLowerCase()))
}

/** How to add application permissions and grant admin consent, for the portal and for az. */
export function howToGrant(roles: string[], clientId: string, scope: string): string {
  const resource = scope.replace(/\/\.default$/, '')
  const api = /graph\.microsoft|chinacloudapi\.cn|^00000003-/.test(resource) ? '00000003-0000-0000-c000-000000000000' : resource
  const apiName = api.startsWith('00000003-') ? 'Microsoft Graph' : resource
  const list = roles.length > 0 ? roles : ['<Permission.Name>']
  return [
    `Portal: App registrations > ${clientId} > API permissions > Add a permission > ${apiName} > Application permissions > ${list.join(', ')}; then "Grant admin consent" (a Privileged Role Administrator or Global Administrator must do it).`,
    'az:',
    ...list.map(
      role =>
        `  az ad app permission add --id ${shellQuote(clientId)} --api ${shellQuote(api)} --api-permissions "$(az ad sp show --id ${shellQuote(api)} --query ${shellQuote(`appRoles[?value==\`${JSON.stringify(role)}\`].id`)} -o tsv)=Role"`
    ),
    `  az ad app permission admin-consent --id ${shellQuote(clientId)}`,
    'A token keeps the roles it was issued with: run the job again after consent.'
  ].join('\n')
}

export function checkRequiredRoles(required: string[], facts: TokenFacts, clientId: string, scope: string): void {
  if (required.length === 0) return
  if (!facts.decoded) {
    throw new ActionError('missing-roles', "'required-roles' is set, but the token is not a JWT whose roles can be read.", {
      input: 'required-roles',
      hint: 'Leave required-roles empty for resources that issue opaque tokens.'
    })
  }
  const missing = findMissingRoles(required, facts.roles)
  if (missing.length === 0) return
  throw new ActionError(
    'missing-roles',
    `The token lacks ${missing.length === 1 ? 'a required permission' : `${missing.length} required permissions`}: ${missing.join(', ')} (it has: ${facts.roles.join(', ') || 'none'}).`,
    {
      input: 'required-roles',
      hint: 'Add them as application permissions and grant admin consent:',
      details: [howToGrant(missing, clientId, scope)]
    }
  )
}

/** A Graph token without roles works for nothing: every call gets 403. Said before it happens. */
export function rolelessWarning(facts: TokenFacts, isGraph: boolean, clientId: string, scope: string): string | undefined {
  if (!facts.decoded || !isGraph || facts.roles.length > 0) return undefined
  return [
    `The token has no roles: app ${clientId} holds no Microsoft Graph application permission with admin consent, so Graph will answer 403 Authorization_RequestDenied.`,
    howToGrant([], clientId, scope)
  ].join('\n')
}

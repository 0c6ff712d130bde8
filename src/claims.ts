import { ActionError } from './errors.js'
import { decodeClaims } from './jwt.js'
import { isGuid } from './identifiers.js'
import { cutAtBoundary } from './inert-text.js'
import { powershellQuote, shellQuote } from './shell-quote.js'

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
  /** `oid`: the object ID of the service principal (or managed identity) the token is for, when a GUID. */
  objectId: string
  /** Whether the claims could be read at all. */
  decoded: boolean
}

// A role value that is inert wherever it lands: in a shell word, when a workflow inlines
// `${{ steps.x.outputs.roles }}` into `run:` (bash, sh, pwsh or cmd), and in a later step's log.
// Entra allows more in a value (learn.microsoft.com, "appRole resource type": at most 120
// characters, no spaces, ASCII punctuation including $ ( ) ` ; | & < > %), which a hostile
// resource app could use to inject a command. Kept: letters, digits and . _ - : / + @ =, starting
// with a letter or digit (not an option, a tilde, a splat or an `=` expansion), so nothing in it is
// a metacharacter, a glob, an expansion (`$`, `%` in cmd), the output's comma, or the start of a
// workflow command (`::`, `##[`).
const ROLE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:/+@=-]{0,119}$/

/**
 * Reads the claims best-effort; `reason` says why they could not be read. The outputs carry only
 * what they promise, so a `tid` that is not a GUID and role values that could not be one are
 * dropped, each with a note for the debug log.
 */
export function inspectToken(accessToken: string): { facts: TokenFacts; reason?: string; dropped: string[] } {
  const decoded = decodeClaims(accessToken)
  if ('reason' in decoded) {
    return { facts: { tenantId: '', roles: [], appName: '', appId: '', objectId: '', decoded: false }, reason: decoded.reason, dropped: [] }
  }
  const { claims } = decoded
  const dropped: string[] = []
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  const tid = text(claims.tid)
  if (tid && !isGuid(tid)) dropped.push(`The token's tid claim is not a GUID (${JSON.stringify(tid)}); the tenant-id output stays empty.`)
  const roles: string[] = []
  for (const role of Array.isArray(claims.roles) ? claims.roles : []) {
    if (typeof role === 'string' && ROLE_VALUE.test(role)) roles.push(role)
    else
      dropped.push(
        `The token's roles claim has a value that is not a role name, or not safe in a shell (${cutAtBoundary(JSON.stringify(role), 200)}); it is left out of the roles output.`
      )
  }
  return {
    facts: {
      tenantId: isGuid(tid) ? tid.toLowerCase() : '',
      roles,
      appName: text(claims.app_displayname),
      appId: [text(claims.appid), text(claims.azp)].find(isGuid)?.toLowerCase() ?? '',
      objectId: isGuid(text(claims.oid)) ? text(claims.oid).toLowerCase() : '',
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

/** Who holds the permissions: an app registration, or a managed identity (which has no portal page for them). */
export type Principal = { kind: 'app'; clientId: string } | { kind: 'managed-identity'; objectId: string; clientId: string }

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'

/** How to grant application permissions: admin consent for an app, app role assignments for a managed identity. */
export function howToGrant(roles: string[], principal: Principal, scope: string): string {
  const resource = scope.replace(/\/\.default$/, '')
  const isGraph = /graph\.microsoft|chinacloudapi\.cn|^00000003-/.test(resource)
  const api = isGraph ? GRAPH_APP_ID : resource
  const list = roles.length > 0 ? roles : ['<Permission.Name>']
  const roleQuery = (role: string) => shellQuote(`appRoles[?value==\`${JSON.stringify(role)}\`].id`)
  if (principal.kind === 'managed-identity') {
    // learn.microsoft.com, "Grant an appRoleAssignment for a service principal" (Graph
    // POST /servicePrincipals/{id}/appRoleAssignments); the portal has no page for it.
    const id = principal.objectId || 'OBJECT_ID'
    const graphBase = isGraph && resource.startsWith('https://') ? resource.replace(/\/+$/, '') : 'https://graph.microsoft.com'
    return [
      `A managed identity gets application permissions as app role assignments, which the portal cannot add. As a Privileged Role Administrator, for managed identity ${id}:`,
      'PowerShell (Microsoft.Graph module):',
      `  $api = Get-MgServicePrincipal -Filter ${powershellQuote(`appId eq '${isGraph ? GRAPH_APP_ID : resource.replace(/'/g, "''")}'`)}`,
      ...list.map(
        role =>
          `  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId ${id} -PrincipalId ${id} -ResourceId $api.Id -AppRoleId ($api.AppRoles | Where-Object Value -eq ${powershellQuote(role)}).Id`
      ),
      'az (Graph REST):',
      `  api=$(az ad sp show --id ${shellQuote(api)} --query id -o tsv)`,
      ...list.map(
        role =>
          `  az rest --method POST --uri ${shellQuote(`${graphBase}/v1.0/servicePrincipals/${id}/appRoleAssignments`)} --body "{\\"principalId\\":\\"${id}\\",\\"resourceId\\":\\"$api\\",\\"appRoleId\\":\\"$(az ad sp show --id ${shellQuote(api)} --query ${roleQuery(role)} -o tsv)\\"}"`
      ),
      'A token keeps the roles it was issued with, and managed identity tokens are cached for up to 24 hours: a new role can take that long to appear.'
    ].join('\n')
  }
  const { clientId } = principal
  const apiName = isGraph ? 'Microsoft Graph' : resource
  return [
    `Portal: App registrations > ${clientId} > API permissions > Add a permission > ${apiName} > Application permissions > ${list.join(', ')}; then "Grant admin consent" (a Privileged Role Administrator or Global Administrator must do it).`,
    'az:',
    ...list.map(
      role =>
        `  az ad app permission add --id ${shellQuote(clientId)} --api ${shellQuote(api)} --api-permissions "$(az ad sp show --id ${shellQuote(api)} --query ${roleQuery(role)} -o tsv)=Role"`
    ),
    `  az ad app permission admin-consent --id ${shellQuote(clientId)}`,
    'A token keeps the roles it was issued with: run the job again after consent.'
  ].join('\n')
}

export function checkRequiredRoles(required: string[], facts: TokenFacts, principal: Principal, scope: string): void {
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
      hint:
        principal.kind === 'app' ? 'Add them as application permissions and grant admin consent:' : 'Assign them to the managed identity:',
      details: [howToGrant(missing, principal, scope)]
    }
  )
}

/** A Graph token without roles works for nothing: every call gets 403. Said before it happens. */
export function rolelessWarning(facts: TokenFacts, isGraph: boolean, principal: Principal, scope: string): string | undefined {
  if (!facts.decoded || !isGraph || facts.roles.length > 0) return undefined
  const who = principal.kind === 'app' ? `app ${principal.clientId}` : `managed identity ${principal.clientId || principal.objectId}`
  return [
    `The token has no roles: ${who} holds no Microsoft Graph application permission${principal.kind === 'app' ? ' with admin consent' : ''}, so Graph will answer 403 Authorization_RequestDenied.`,
    howToGrant([], principal, scope)
  ].join('\n')
}

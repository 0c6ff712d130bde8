import { CLOUDS, isCloudName, type CloudName } from './clouds.js'
import { ActionError, InputErrors, invalidInput } from './errors.js'
import { printable } from './identifiers.js'
import { parseIdentity, type TokenSourceSettings } from './identity-settings.js'
import type { RawInputs } from './inputs.js'
import { parseProxySettings, type ProxySettings } from './proxy.js'

/** Everything the run needs, checked and with defaults applied. */
export interface Settings {
  /** Directory ID (GUID, lower-cased) or verified domain, as it goes in the token URL; '' for a managed identity's own token. */
  tenantId: string
  /** Application (client) ID, lower-cased; '' for a managed identity's own token. */
  clientId: string
  cloud: CloudName
  /** Origin of the login host: the cloud's, or 'authority-host'. */
  authorityHost: string
  /** `https://{authority}/{tenant}/oauth2/v2.0/token`; also the `aud` of a certificate assertion. */
  tokenUrl: string
  /** One resource's `/.default`. */
  scope: string
  /** Where the token comes from, and with which credential. */
  source: TokenSourceSettings
  /** Where values came from when not from the inputs (AZURE_TENANT_ID, ...), for the log. */
  notes: string[]
  /** At least 1. */
  maxAttempts: number
  /** Deadline for the whole acquisition, retries and waits included. */
  timeoutMs: number
  /** Application permissions the token must carry. */
  requiredRoles: string[]
  /** Whether to write the job summary table. */
  jobSummary: boolean
  /** The runner's https_proxy and no_proxy, for requests that leave the machine. */
  proxy: ProxySettings
  /** 'keep-fresh': write the token to a file and renew it there until the job ends. */
  keepFresh: boolean
  /** 'azure-credentials': export the Azure SDKs' and Terraform's variables, with a renewed client assertion file. */
  azureCredentials: boolean
}

// A scope is a URI; Entra's own limit on identifier URIs is far below this.
const MAX_SCOPE_LENGTH = 1000
const BOOLEAN = new Map([
  ['true', true],
  ['false', false]
])

/**
 * Turns the raw inputs into Settings, or throws InputErrors listing every bad input at once.
 * Pure: no network, no logging, so every rule is a unit test.
 */
export function parseSettings(raw: RawInputs): Settings {
  const errors: ActionError[] = []
  const check = <T>(parse: () => T, fallback: T): T => {
    try {
      return parse()
    } catch (error) {
      if (!(error instanceof ActionError)) throw error
      errors.push(error)
      return fallback
    }
  }

  const cloud = check(() => parseCloud(raw.cloud), 'public' as CloudName)
  const identity = parseIdentity(raw, cloud, check)
  const authorityHost = check(() => parseAuthorityHost(raw['authority-host']), '') || CLOUDS[cloud].authorityHost
  const scope = check(() => parseScope(raw.scope, cloud), '')
  const maxAttempts = check(() => parseMaxAttempts(raw['max-attempts']), 1)
  const timeoutMs = check(() => parseTimeoutSeconds(raw['timeout-seconds']) * 1000, 0)
  const jobSummary = check(() => parseBoolean('job-summary', raw['job-summary']), false)
  const proxy = check(() => parseProxySettings(raw.proxyVariables), { noProxy: [] })
  const keepFresh = check(() => parseBoolean('keep-fresh', raw['keep-fresh']), false)
  const azureCredentials = check(() => parseBoolean('azure-credentials', raw['azure-credentials']), false)
  if (azureCredentials && identity?.source.kind === 'entra' && identity.source.credential.kind === 'client-secret') {
    // A secret would have to sit in every later step's environment; an assertion expires by itself.
    errors.push(
      invalidInput(
        'azure-credentials',
        "'azure-credentials' is true, but the credential is 'client-secret', which cannot be handed to later steps without putting the secret in each one's environment.",
        "Use 'client-certificate' or GitHub OIDC (no secret at all) instead: later steps then get a short-lived client assertion, renewed in a file."
      )
    )
  }
  if (errors.length > 0 || !identity) throw new InputErrors(errors)

  return {
    tenantId: identity.tenantId,
    clientId: identity.clientId,
    cloud,
    authorityHost,
    tokenUrl: `${authorityHost}/${identity.tenantId}/oauth2/v2.0/token`,
    scope,
    source: identity.source,
    notes: identity.notes,
    maxAttempts,
    timeoutMs,
    requiredRoles: parseRoleList(raw['required-roles']),
    jobSummary,
    proxy,
    keepFresh,
    azureCredentials
  }
}

function parseCloud(value: string): CloudName {
  const name = (value || 'public').toLowerCase()
  if (isCloudName(name)) return name
  throw invalidInput(
    'cloud',
    `'cloud' is '${printable(value)}', which is not a known cloud.`,
    `Use one of: ${Object.keys(CLOUDS).join(', ')}.`
  )
}

function parseAuthorityHost(value: string): string {
  if (!value) return ''
  const fail = (what: string) =>
    invalidInput(
      'authority-host',
      `'authority-host' ${what}.`,
      'Give only the scheme and host, with an optional port: https://login.microsoftonline.com or https://login.example.net:8443.'
    )
  // Checked before URL parsing, which would silently turn a look-alike such as a Cyrillic 'о' into
  // punycode (xn--...) and send the request to whoever owns that name.
  if (/[^\x21-\x7e]/.test(value)) {
    throw fail(
      `has characters outside plain ASCII or white space: '${printable(value)}'; international and look-alike host names are refused, so a lookalike of login.microsoftonline.com cannot receive the credential`
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail(`is not a URL: '${printable(value)}'`)
  }
  if (url.protocol !== 'https:') throw fail(`must use https, not '${url.protocol.replace(/:$/, '')}'`)
  if (url.username || url.password) throw fail('must not contain credentials')
  if (url.search || value.includes('?')) throw fail('must not have a query')
  if (url.hash || value.includes('#')) throw fail('must not have a fragment')
  if (url.pathname !== '/') throw fail(`must not have a path ('${url.pathname}')`)
  if (url.port === '0') throw fail('has port 0, which no server listens on')
  return url.origin
}

function parseScope(value: string, cloud: CloudName): string {
  if (!value) return `https://${CLOUDS[cloud].graphHost}/.default`
  const graphDefault = `https://${CLOUDS[cloud].graphHost}/.default`
  if (value.length > MAX_SCOPE_LENGTH) {
    throw invalidInput(
      'scope',
      `'scope' is ${value.length} characters long; a resource's /.default is a URI of well under ${MAX_SCOPE_LENGTH}.`,
      `Give one resource's /.default, such as ${graphDefault}.`
    )
  }
  if (/[\p{Cc}\p{Cf}]/u.test(value)) {
    throw invalidInput(
      'scope',
      `'scope' has control or invisible characters: '${printable(value)}'.`,
      `Type it again by hand (a copied value can carry zero-width characters), such as ${graphDefault}.`
    )
  }
  if (/\s/.test(value)) {
    throw invalidInput(
      'scope',
      `'scope' names more than one scope: '${printable(value)}'.`,
      `An app-only token is for one resource: give that resource's /.default only, such as ${graphDefault}.`
    )
  }
  if (!value.endsWith('/.default') || value === '/.default') {
    throw invalidInput(
      'scope',
      `'scope' must be a resource's /.default, not '${printable(value)}'.`,
      `App-only tokens ask for everything granted to the app on one resource, such as ${graphDefault}; the individual permissions (User.Read.All, ...) are granted as application permissions with admin consent on the app registration.`
    )
  }
  return value
}

function parseMaxAttempts(value: string): number {
  const n = Number(value || '4')
  if (/^\d+$/.test(value || '4') && n >= 1 && n <= 100) return n
  throw invalidInput(
    'max-attempts',
    `'max-attempts' must be a whole number from 1 to 100, not '${printable(value)}'.`,
    'The default, 4, is one try and three retries of transient failures.'
  )
}

function parseTimeoutSeconds(value: string): number {
  const n = Number(value || '60')
  if (/^\d+$/.test(value || '60') && n >= 1 && n <= 3600) return n
  throw invalidInput(
    'timeout-seconds',
    `'timeout-seconds' must be a whole number of seconds from 1 to 3600, not '${printable(value)}'.`,
    'It bounds the whole acquisition, retries and waits included; the default is 60.'
  )
}

function parseBoolean(input: string, value: string): boolean {
  const parsed = BOOLEAN.get((value || 'false').toLowerCase())
  if (parsed !== undefined) return parsed
  throw invalidInput(input, `'${input}' must be true or false, not '${printable(value)}'.`)
}

/** Permissions separated by commas, spaces or new lines, without repeats. */
export function parseRoleList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter(Boolean))]
}

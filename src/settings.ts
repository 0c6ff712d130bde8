import { cloudOfAuthorityHost, CLOUDS, isCloudName, type CloudName } from './clouds.js'
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
  /** Deadline for the whole acquisition, retries and waits included (by default 60 s, 90 s with a managed identity). */
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

  const inputCloud = check(() => parseCloud(raw.cloud), 'public' as CloudName)
  const identity = parseIdentity(raw, inputCloud, check)
  const fromAks = aksAuthorityHost(raw, identity?.source, check)
  const cloud = fromAks?.cloud ?? inputCloud
  const authorityHost = check(() => parseAuthorityHost(raw['authority-host']), '') || fromAks?.authorityHost || CLOUDS[cloud].authorityHost
  const scope = check(() => parseScope(raw.scope, cloud), '')
  const maxAttempts = check(() => parseMaxAttempts(raw['max-attempts']), 1)
  const timeoutMs = check(() => parseTimeoutSeconds(raw['timeout-seconds'], defaultTimeoutSeconds(identity?.source)) * 1000, 0)
  const jobSummary = check(() => parseBoolean('job-summary', raw['job-summary']), false)
  const proxy = check(() => parseProxySettings(raw.proxyVariables), { noProxy: [] })
  const requiredRoles = check(() => parseRoleList(raw['required-roles']), [])
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
    notes: fromAks ? [...identity.notes, fromAks.note] : identity.notes,
    maxAttempts,
    timeoutMs,
    requiredRoles,
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

/**
 * The AKS workload identity webhook sets AZURE_AUTHORITY_HOST next to AZURE_FEDERATED_TOKEN_FILE
 * (learn.microsoft.com, "Use Microsoft Entra Workload ID with AKS", webhook environment variables),
 * as the Azure SDKs read it: the login host of the cluster's cloud. Used with the webhook's token
 * file when neither 'cloud' nor 'authority-host' is given, and checked as 'authority-host' is.
 */
function aksAuthorityHost(
  raw: RawInputs,
  source: TokenSourceSettings | undefined,
  check: <T>(parse: () => T, fallback: T) => T
): { authorityHost: string; cloud: CloudName; note: string } | undefined {
  const value = raw.azureVariables.AZURE_AUTHORITY_HOST
  const aksFile =
    source?.kind === 'entra' &&
    source.credential.kind === 'federated-token-file' &&
    source.credential.origin === 'AZURE_FEDERATED_TOKEN_FILE'
  if (!value || !aksFile || raw.cloud || raw['authority-host']) return undefined
  const authorityHost = check(() => parseAuthorityHost(value, 'AZURE_AUTHORITY_HOST'), '')
  if (!authorityHost) return undefined
  const known = cloudOfAuthorityHost(authorityHost)
  return {
    authorityHost,
    cloud: known ?? 'public',
    note: `'cloud' and 'authority-host' are empty: using AZURE_AUTHORITY_HOST from the environment (${authorityHost}), as the AKS workload identity webhook sets it${known ? `; the ${known} cloud` : ''}.`
  }
}

function parseAuthorityHost(value: string, variable?: 'AZURE_AUTHORITY_HOST'): string {
  if (!value) return ''
  const fail = (what: string) =>
    invalidInput(
      variable ?? 'authority-host',
      `${variable ? `${variable} (used because 'cloud' and 'authority-host' are empty)` : "'authority-host'"} ${what}.`,
      `Give only the scheme and host, with an optional port: https://login.microsoftonline.com or https://login.example.net:8443.${variable ? " Or set 'cloud' (or 'authority-host'), which take the place of AZURE_AUTHORITY_HOST." : ''}`
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

// IMDS may answer 410 for up to 70 s while it updates (token-sources/managed-identity.ts waits it
// out, as MSAL does): with a managed identity the default deadline leaves room for that, an attempt
// after it and a back-off. Elsewhere a minute is plenty: Entra ID answers in well under a second.
const DEFAULT_TIMEOUT_S = 60
const DEFAULT_MANAGED_IDENTITY_TIMEOUT_S = 90

function defaultTimeoutSeconds(source: TokenSourceSettings | undefined): number {
  const managed = source?.kind === 'managed-identity' || (source?.kind === 'entra' && source.credential.kind === 'managed-identity')
  return managed ? DEFAULT_MANAGED_IDENTITY_TIMEOUT_S : DEFAULT_TIMEOUT_S
}

function parseTimeoutSeconds(value: string, defaultSeconds: number): number {
  if (!value) return defaultSeconds
  const n = Number(value)
  if (/^\d+$/.test(value) && n >= 1 && n <= 3600) return n
  throw invalidInput(
    'timeout-seconds',
    `'timeout-seconds' must be a whole number of seconds from 1 to 3600, not '${printable(value)}'.`,
    `It bounds the whole acquisition, retries and waits included; the default is ${DEFAULT_TIMEOUT_S}, or ${DEFAULT_MANAGED_IDENTITY_TIMEOUT_S} with 'managed-identity'.`
  )
}

function parseBoolean(input: string, value: string): boolean {
  const parsed = BOOLEAN.get((value || 'false').toLowerCase())
  if (parsed !== undefined) return parsed
  throw invalidInput(input, `'${input}' must be true or false, not '${printable(value)}'.`)
}

// An app role's value (learn.microsoft.com, "appRole resource type", value): at most 120
// characters, from 0-9 A-Z a-z and ! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ _ ` { | } ~,
// never a space, never a leading '.'. A comma is allowed there too, but separates names here.
const ROLE_NAME = /^(?!\.)[0-9A-Za-z!#$%&'()*+\-./:;<=>?@[\]^_`{|}~]{1,120}$/
/**
 * Permissions separated by commas, spaces or new lines, without repeats, each a name an app role
 * can have: checked here, so a wrong list fails before any request rather than after it, with a
 * grant instruction for a permission that does not exist. A ';' is legal in a role value, but no
 * Microsoft Graph permission has one (learn.microsoft.com, "Microsoft Graph permissions
 * reference": names such as User.Read.All), and ';' separates lists in other tools (PowerShell,
 * PATH on Windows): 'User.Read.All;Group.Read.All' is a list with the wrong separator, so it is
 * refused, naming the separators that work. The cost: a custom API's role with ';' in its value
 * cannot be required, as one with ',' cannot.
 */
export function parseRoleList(value: string): string[] {
  const names = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  const bad = names.find(name => !ROLE_NAME.test(name) || name.includes(';'))
  if (bad === undefined) return names
  const why = bad.includes(';')
    ? `has '${printable(bad)}', but ';' does not separate permissions`
    : bad.length > 120
      ? `has a name of ${bad.length} characters ('${printable(bad)}'); an app role's value has at most 120`
      : bad.startsWith('.')
        ? `has '${printable(bad)}', which starts with '.'; no app role's value does`
        : `has '${printable(bad)}', with a character no app role's value has (letters, digits and ! # $ % & ' ( ) * + - . / : < = > ? @ [ ] ^ _ \` { | } ~ only)`
  throw invalidInput(
    'required-roles',
    `'required-roles' ${why}.`,
    "List application permissions by name, as in the token's roles claim, and separate them with commas, spaces or new lines, e.g. User.Read.All, Group.Read.All."
  )
}

import { CLOUDS, isCloudName, type CloudName } from './clouds.js'
import { ActionError, InputErrors, invalidInput } from './errors.js'
import type { RawInputs } from './inputs.js'
import { isLoopback, parseProxySettings, type ProxySettings } from './proxy.js'

/** Which credential proves the app's identity; exactly one per run. */
export type CredentialSettings =
  | {
      kind: 'client-secret'
      /** The secret's Value. */
      secret: string
    }
  | {
      kind: 'certificate'
      /** PEM text with the certificate (and maybe its chain) and the private key. */
      pem: string
      /** Passphrase of an encrypted key; '' when the key is not encrypted. */
      password: string
    }
  | {
      kind: 'github-oidc'
      /** Audience to ask GitHub for; must equal the federated credential's audience. */
      audience: string
      /** ACTIONS_ID_TOKEN_REQUEST_URL, which already carries a query string. */
      requestUrl: string
      /** ACTIONS_ID_TOKEN_REQUEST_TOKEN, sent as a bearer token. */
      requestToken: string
    }

/** Everything the run needs, checked and with defaults applied. */
export interface Settings {
  /** Directory ID (GUID, lower-cased) or verified domain, as it goes in the token URL. */
  tenantId: string
  /** Application (client) ID, lower-cased. */
  clientId: string
  cloud: CloudName
  /** Origin of the login host: the cloud's, or 'authority-host'. */
  authorityHost: string
  /** `https://{authority}/{tenant}/oauth2/v2.0/token`; also the `aud` of a certificate assertion. */
  tokenUrl: string
  /** One resource's `/.default`. */
  scope: string
  credential: CredentialSettings
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
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// A DNS name of at least two labels: letters, digits and inner hyphens, 63 characters a label.
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
// A scope is a URI; Entra's own limit on identifier URIs is far below this.
const MAX_SCOPE_LENGTH = 1000
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers'])
const BOOLEAN = new Map([
  ['true', true],
  ['false', false]
])

export function isGuid(value: string): boolean {
  return GUID.test(value)
}

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

  const tenantId = check(() => parseTenantId(raw['tenant-id']), '')
  const clientId = check(() => parseClientId(raw['client-id']), '')
  const cloud = check(() => parseCloud(raw.cloud), 'public' as CloudName)
  const authorityHost = check(() => parseAuthorityHost(raw['authority-host']), '') || CLOUDS[cloud].authorityHost
  const scope = check(() => parseScope(raw.scope, cloud), '')
  const credential = check(() => parseCredential(raw, cloud), undefined)
  const maxAttempts = check(() => parseMaxAttempts(raw['max-attempts']), 1)
  const timeoutMs = check(() => parseTimeoutSeconds(raw['timeout-seconds']) * 1000, 0)
  const jobSummary = check(() => parseBoolean('job-summary', raw['job-summary']), false)
  const proxy = check(() => parseProxySettings(raw.proxyVariables), { noProxy: [] })
  if (errors.length > 0 || !credential) throw new InputErrors(errors)

  return {
    tenantId,
    clientId,
    cloud,
    authorityHost,
    tokenUrl: `${authorityHost}/${tenantId}/oauth2/v2.0/token`,
    scope,
    credential,
    maxAttempts,
    timeoutMs,
    requiredRoles: parseRoleList(raw['required-roles']),
    jobSummary,
    proxy
  }
}

function parseTenantId(value: string): string {
  if (!value) {
    throw invalidInput(
      'tenant-id',
      "'tenant-id' is empty.",
      "Set it to the Directory (tenant) ID from the app registration's Overview page (a GUID), or a verified domain such as contoso.onmicrosoft.com; if it comes from a secret or variable, check that it exists."
    )
  }
  if (MULTI_TENANT.has(value.toLowerCase())) {
    throw invalidInput(
      'tenant-id',
      `'tenant-id' is '${value}', which does not name a tenant.`,
      'An app-only token is issued by one tenant, the one whose admin granted the permissions: give its Directory (tenant) ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.'
    )
  }
  if (isGuid(value)) return value.toLowerCase()
  if (DOMAIN.test(value)) return value.toLowerCase()
  throw invalidInput(
    'tenant-id',
    `'tenant-id' is not a GUID or a domain name: '${printable(value)}'.`,
    'Use the Directory (tenant) ID, like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain such as contoso.onmicrosoft.com (letters, digits, hyphens and dots only).'
  )
}

function parseClientId(value: string): string {
  if (isGuid(value)) return value.toLowerCase()
  const what = value ? `is not a GUID: '${printable(value)}'` : 'is empty'
  throw invalidInput(
    'client-id',
    `'client-id' ${what}.`,
    "Set it to the Application (client) ID from the app registration's Overview page, like 00001111-aaaa-2222-bbbb-3333cccc4444 (not the Object ID, not a name)."
  )
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

function parseCredential(raw: RawInputs, cloud: CloudName): CredentialSettings {
  const secret = raw['client-secret']
  const pem = raw['client-certificate']
  const password = raw['client-certificate-password']
  if (secret && pem) {
    throw invalidInput(
      'client-secret',
      "Both 'client-secret' and 'client-certificate' are set.",
      'Give exactly one credential: remove one of them (the certificate is the safer of the two; GitHub OIDC, with neither, is safer still).'
    )
  }
  if (password && !pem) {
    throw invalidInput(
      'client-certificate-password',
      "'client-certificate-password' is set but 'client-certificate' is empty.",
      'Set client-certificate to the PEM text of the certificate and its private key; if it comes from a secret, check that the secret exists and is available to this workflow.'
    )
  }
  if (secret) return { kind: 'client-secret', secret }
  if (pem) return { kind: 'certificate', pem, password }
  if (raw.idTokenRequestUrl && raw.idTokenRequestToken) {
    return {
      kind: 'github-oidc',
      audience: raw['oidc-audience'] || CLOUDS[cloud].oidcAudience,
      requestUrl: parseIdTokenRequestUrl(raw.idTokenRequestUrl),
      requestToken: raw.idTokenRequestToken
    }
  }
  throw new ActionError(
    'invalid-input',
    "No credential: 'client-secret' and 'client-certificate' are empty, and this job cannot get a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set).",
    {
      input: 'client-secret',
      hint: 'Authenticate in one of three ways:',
      details: [
        '1. GitHub OIDC, no secret at all (recommended): add a federated credential for this repository to the app registration, and give the job (or the workflow) this block:',
        '     permissions:',
        '       id-token: write',
        '       contents: read',
        '   Workflows started from a fork and Dependabot runs never get an ID token, whatever the block says.',
        "2. 'client-certificate': the PEM of a certificate whose public part is uploaded to the app registration.",
        "3. 'client-secret': a client secret's Value.",
        'An expression for a secret that does not exist (a typo, or a secret not available to forks, Dependabot or this environment) expands to an empty string, which also lands here.'
      ]
    }
  )
}

/** The runner's OIDC URL: the request token goes to it, so never in clear text off the machine. */
function parseIdTokenRequestUrl(value: string): string {
  const fail = (what: string) =>
    new ActionError('invalid-input', `ACTIONS_ID_TOKEN_REQUEST_URL ${what}.`, {
      input: 'ACTIONS_ID_TOKEN_REQUEST_URL',
      hint: 'The runner sets it for jobs with `permissions: id-token: write`; something in this job overwrote it. Remove whatever sets it, or unset it to use another credential.'
    })
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail('is not a URL')
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname))
    throw fail(`is plain http to ${url.host}, which would send the request token in clear text`)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`uses '${url.protocol.slice(0, -1)}', not https`)
  return url.href
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

/** An input shown in a message: control characters escaped, long values cut. */
function printable(value: string): string {
  const shown = JSON.stringify(value).slice(1, -1)
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown
}

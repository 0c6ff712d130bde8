import { CLOUDS, type CloudName } from './clouds.js'
import { ActionError, invalidInput } from './errors.js'
import { isGuid, printable } from './identifiers.js'
import type { RawInputs } from './inputs.js'
import { isLoopback } from './proxy.js'
import { tooShortToBeSecret } from './secret-length.js'

/**
 * Which managed identity of the machine: its system-assigned one, or a user-assigned one by its
 * client ID, its object (principal) ID or its resource ID, the three ways MSAL Node names one
 * (ManagedIdentityIdType).
 */
export type ManagedIdentityId =
  { kind: 'system' } | { kind: 'client-id'; value: string } | { kind: 'object-id'; value: string } | { kind: 'resource-id'; value: string }

/**
 * Where the machine's managed identity answers (learn.microsoft.com, "How to use managed
 * identities for Azure resources on an Azure VM to acquire an access token"; "Managed identities
 * for App Service and Azure Functions"). Always reached directly, never through a proxy.
 */
export type ManagedIdentityEndpoint =
  /** VMs, scale sets, AKS nodes: http://169.254.169.254, or AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  | { kind: 'imds'; baseUrl: string }
  /** App Service and Container Apps: IDENTITY_ENDPOINT with the secret IDENTITY_HEADER. */
  | { kind: 'identity-endpoint'; url: string; header: string }
  /** Azure Arc-enabled servers: IDENTITY_ENDPOINT with IMDS_ENDPOINT, and a challenge file. */
  | { kind: 'arc'; url: string }

export interface ManagedIdentitySettings {
  id: ManagedIdentityId
  endpoint: ManagedIdentityEndpoint
}

/** How the app proves its identity to the token endpoint; exactly one per run. */
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
      /** AZURE_FEDERATED_TOKEN_FILE, set on AKS but not used since GitHub OIDC comes first; for explanations. */
      ignoredTokenFile?: string
    }
  | {
      kind: 'federated-token-file'
      /** The file holding the JWT, read afresh for every attempt. */
      path: string
      /** Where the path came from, for messages: the input or AZURE_FEDERATED_TOKEN_FILE. */
      origin: 'federated-token-file' | 'AZURE_FEDERATED_TOKEN_FILE'
    }
  | {
      kind: 'managed-identity'
      /** A user-assigned identity whose token for `audience` is the app's client assertion. */
      identity: ManagedIdentitySettings
      /** The cloud's token-exchange audience (api://AzureADTokenExchange ...). */
      audience: string
    }

/**
 * Where the token comes from: the Entra token endpoint, for an app registration with one client
 * credential; or the machine's managed identity endpoint, for the identity's own token.
 */
export type TokenSourceSettings =
  { kind: 'entra'; credential: CredentialSettings } | { kind: 'managed-identity'; identity: ManagedIdentitySettings }

export interface Identity {
  /** Directory ID (GUID, lower-cased) or verified domain; '' for a managed identity's own token. */
  tenantId: string
  /** Application (client) ID, lower-cased; '' for a managed identity's own token. */
  clientId: string
  source: TokenSourceSettings
  /** Where values came from when not from the inputs, for the log. */
  notes: string[]
}

// A DNS name of at least two labels: letters, digits and inner hyphens, 63 characters a label.
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers'])
// /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}
const RESOURCE_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[-\w.()]{1,90}\/providers\/microsoft\.managedidentity\/userassignedidentities\/[-\w]{3,128}$/i
// IPv4 link-local (RFC 3927): IMDS at 169.254.169.254, Linux App Service's IDENTITY_ENDPOINT at
// addresses such as 169.254.129.3. A router never forwards these, so plain http stays on the link.
// The URL parser has already written any IPv4 host in dotted decimal.
const LINK_LOCAL = /^169\.254\.\d{1,3}\.\d{1,3}$/
// The credential inputs; at most one may be given.
const CREDENTIAL_INPUTS = ['client-secret', 'client-certificate', 'managed-identity', 'federated-token-file'] as const

/**
 * Who asks for the token and how it proves it: the tenant, the app, and the one credential, or a
 * managed identity's own token. Throws the ActionErrors it finds through `check`, as settings.ts
 * does for every input. Pure: files are read later, by the credential, before any request.
 */
export function parseIdentity(raw: RawInputs, cloud: CloudName, check: <T>(parse: () => T, fallback: T) => T): Identity | undefined {
  const given = CREDENTIAL_INPUTS.filter(name => raw[name])
  if (given.length > 1) {
    check(() => {
      throw invalidInput(
        given[0],
        `Only one credential can be used, and ${given.map(name => `'${name}'`).join(' and ')} are set.`,
        'Give exactly one: remove the others (GitHub OIDC or a managed identity, with no secret at all, is the safest; then a certificate; then a secret).'
      )
    }, undefined)
    return undefined
  }
  const notes: string[] = []

  const managedIdentity = raw['managed-identity'] ? check(() => parseManagedIdentity(raw, notes), undefined) : undefined
  if (raw['managed-identity'] && !raw['client-id']) {
    // The identity's own token, for the resource in 'scope': no app registration involved.
    if (raw['tenant-id'])
      notes.push(
        "'tenant-id' is not used: a managed identity's own token comes from the identity's tenant (set 'client-id' too to use the identity as an app's credential)."
      )
    return managedIdentity && { tenantId: '', clientId: '', source: { kind: 'managed-identity', identity: managedIdentity }, notes }
  }

  const noCredentialInput = !raw['client-secret'] && !raw['client-certificate'] && !raw['managed-identity'] && !raw['federated-token-file']
  const useEnvironmentFile = noCredentialInput && !hasGithubOidc(raw) && Boolean(raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE)
  // With a federated token file (the webhook's, or one given as input), AKS's AZURE_TENANT_ID and
  // AZURE_CLIENT_ID fill an empty 'tenant-id' or 'client-id', as the Azure SDKs read them.
  const useEnvironmentIds = useEnvironmentFile || Boolean(raw['federated-token-file'])
  // GitHub OIDC wins over the AKS file: say so when the AKS variables are there but not used.
  const aksIgnored = noCredentialInput && hasGithubOidc(raw) && Boolean(raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE)
  const identifier = (input: 'tenant-id' | 'client-id', variable: 'AZURE_TENANT_ID' | 'AZURE_CLIENT_ID'): Identifier => {
    const fromEnvironment = useEnvironmentIds && !raw[input] ? (raw.azureVariables[variable] ?? '') : ''
    if (fromEnvironment) notes.push(`'${input}' is empty: using ${variable} from the environment (${fromEnvironment}).`)
    return {
      value: raw[input] || fromEnvironment,
      label: fromEnvironment ? `${variable} (used because '${input}' is empty)` : `'${input}'`,
      empty: useEnvironmentIds ? `'${input}' is empty, and so is ${variable}.` : `'${input}' is empty.`,
      hint: useEnvironmentIds ? AKS_HINT : aksIgnored ? OIDC_OVER_AKS : ''
    }
  }
  const tenantId = check(() => parseTenantId(identifier('tenant-id', 'AZURE_TENANT_ID')), '')
  const clientId = check(() => parseClientId(identifier('client-id', 'AZURE_CLIENT_ID')), '')
  const credential = check((): CredentialSettings | undefined => {
    if (raw['managed-identity']) {
      if (!managedIdentity) return undefined // reported already
      if (managedIdentity.id.kind === 'system') {
        throw invalidInput(
          'managed-identity',
          "'managed-identity' is 'system', and 'client-id' is set: an app registration can trust only a user-assigned managed identity.",
          "Entra ID does not accept a system-assigned identity as a federated credential: use a user-assigned identity (its client ID, object-id:GUID or resource ID in 'managed-identity'), or leave 'client-id' empty to get the system-assigned identity's own token."
        )
      }
      return { kind: 'managed-identity', identity: managedIdentity, audience: CLOUDS[cloud].oidcAudience }
    }
    if (useEnvironmentFile) {
      notes.push(
        `No credential input and no GitHub OIDC token: using the federated token file in AZURE_FEDERATED_TOKEN_FILE (${raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE}), as the AKS workload identity webhook sets it.`
      )
      return { kind: 'federated-token-file', path: raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE!, origin: 'AZURE_FEDERATED_TOKEN_FILE' }
    }
    const chosen = parseCredential(raw, cloud)
    if (chosen.kind === 'github-oidc' && aksIgnored) {
      notes.push(
        `AZURE_FEDERATED_TOKEN_FILE is set (${raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE}, the AKS workload identity webhook's token file), but this job can get a GitHub ID token: GitHub OIDC is used, and the file is not. To use the file, remove 'permissions: id-token: write' from the job, or set 'federated-token-file' to it.`
      )
      return { ...chosen, ignoredTokenFile: raw.azureVariables.AZURE_FEDERATED_TOKEN_FILE }
    }
    return chosen
  }, undefined)
  return credential && { tenantId, clientId, source: { kind: 'entra', credential }, notes }
}

function hasGithubOidc(raw: RawInputs): boolean {
  return Boolean(raw.idTokenRequestUrl && raw.idTokenRequestToken)
}

// GitHub OIDC is chosen before the AKS file, so an AKS pod with id-token: write ignores the file.
const OIDC_OVER_AKS =
  " AZURE_FEDERATED_TOKEN_FILE is set too, but this job can get a GitHub ID token, so GitHub OIDC is used and the AKS variables are not; remove 'permissions: id-token: write' from the job to use the AKS file."
// On AKS the workload identity webhook sets both from the service account (learn.microsoft.com,
// "Use Microsoft Entra Workload ID with AKS"): an empty one means the pod is not set up for it.
const AKS_HINT =
  ' On AKS, the workload identity webhook sets it when the runner pod has the label azure.workload.identity/use: "true" and its service account the annotation azure.workload.identity/client-id.'

/** An identifier as the settings got it: its value, and how messages name it. */
interface Identifier {
  value: string
  /** The input, or the variable it came from. */
  label: string
  /** The message when there is none. */
  empty: string
  /** More for the hint: where else it could have come from. */
  hint: string
}

function parseTenantId({ value, label, empty, hint }: Identifier): string {
  if (!value) {
    throw invalidInput(
      'tenant-id',
      empty,
      `Set it to the Directory (tenant) ID from the app registration's Overview page (a GUID), or a verified domain such as contoso.onmicrosoft.com; if it comes from a secret or variable, check that it exists.${hint}`
    )
  }
  if (MULTI_TENANT.has(value.toLowerCase())) {
    throw invalidInput(
      'tenant-id',
      `${label} is '${printable(value)}', which does not name a tenant.`,
      'An app-only token is issued by one tenant, the one whose admin granted the permissions: give its Directory (tenant) ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.'
    )
  }
  if (isGuid(value)) return value.toLowerCase()
  if (DOMAIN.test(value)) return value.toLowerCase()
  throw invalidInput(
    'tenant-id',
    `${label} is not a GUID or a domain name: '${printable(value)}'.`,
    'Use the Directory (tenant) ID, like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain such as contoso.onmicrosoft.com (letters, digits, hyphens and dots only).'
  )
}

function parseClientId({ value, label, empty, hint }: Identifier): string {
  if (isGuid(value)) return value.toLowerCase()
  throw invalidInput(
    'client-id',
    value ? `${label} is not a GUID: '${printable(value)}'.` : empty,
    `Set it to the Application (client) ID from the app registration's Overview page, like 00001111-aaaa-2222-bbbb-3333cccc4444 (not the Object ID, not a name).${value ? '' : hint}`
  )
}

function parseCredential(raw: RawInputs, cloud: CloudName): CredentialSettings {
  const pem = raw['client-certificate']
  const password = raw['client-certificate-password']
  if (password && !pem) {
    throw invalidInput(
      'client-certificate-password',
      "'client-certificate-password' is set but 'client-certificate' is empty.",
      'Set client-certificate to the PEM text of the certificate and its private key; if it comes from a secret, check that the secret exists and is available to this workflow.'
    )
  }
  if (raw['client-secret']) {
    if (/\p{Cc}/u.test(raw['client-secret'])) {
      throw invalidInput(
        'client-secret',
        "'client-secret' has a line break or control character, which no client secret has.",
        "Copy the secret's Value again into the repository secret, on one line and nothing else."
      )
    }
    const short = tooShortToBeSecret(raw['client-secret'])
    if (short) {
      throw invalidInput(
        'client-secret',
        `'client-secret' is ${short}: an Entra ID client secret's Value has 40 characters.`,
        "Copy the secret's Value (not its Secret ID) again into the repository secret; it is shown only once, when the secret is created."
      )
    }
    return { kind: 'client-secret', secret: raw['client-secret'] }
  }
  if (pem) return { kind: 'certificate', pem, password }
  if (raw['federated-token-file'])
    return { kind: 'federated-token-file', path: raw['federated-token-file'], origin: 'federated-token-file' }
  if (hasGithubOidc(raw)) {
    return {
      kind: 'github-oidc',
      audience: parseAudience(raw['oidc-audience']) || CLOUDS[cloud].oidcAudience,
      requestUrl: parseIdTokenRequestUrl(raw.idTokenRequestUrl),
      requestToken: secretHeaderValue('ACTIONS_ID_TOKEN_REQUEST_TOKEN', raw.idTokenRequestToken)
    }
  }
  throw new ActionError(
    'invalid-input',
    "No credential: 'client-secret', 'client-certificate', 'managed-identity' and 'federated-token-file' are empty, and this job cannot get a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set).",
    {
      input: 'client-secret',
      hint: 'Authenticate in one of these ways:',
      // The block is the one the docs' GitHub OIDC workflow shows (a test keeps them equal). A job's
      // permissions set every one they do not name to none (docs.github.com, "Workflow syntax for
      // GitHub Actions", permissions), which breaks actions/checkout in a private repository.
      details: [
        '1. GitHub OIDC, no secret at all (recommended on GitHub-hosted runners): add a federated credential for this repository to the app registration, and give the job (or the workflow) this block:',
        '     permissions:',
        '       id-token: write',
        "   A job's 'permissions:' turns off every permission it does not name: add any its other steps need, such as 'contents: read' for actions/checkout. Workflows started from a fork and Dependabot runs never get an ID token, whatever the block says.",
        "2. 'managed-identity', no secret at all (self-hosted runners on Azure VMs, scale sets, Container Apps jobs, AKS nodes): system, or a user-assigned identity's client ID, object-id:GUID or resource ID.",
        "3. 'federated-token-file', no secret at all (AKS workload identity, Kubernetes service-account tokens, another CI): the path of a file holding a JWT the app trusts; on AKS the webhook's AZURE_FEDERATED_TOKEN_FILE is used by itself.",
        "4. 'client-certificate': the PEM of a certificate whose public part is uploaded to the app registration.",
        "5. 'client-secret': a client secret's Value.",
        'An expression for a secret that does not exist (a typo, or a secret not available to forks, Dependabot or this environment) expands to an empty string, which also lands here.'
      ]
    }
  )
}

// A user-assigned identity's object (principal) ID is a GUID like its client ID: the prefix says
// which one is meant, so that neither is ever sent as the other.
const OBJECT_ID_PREFIX = /^object-id:\s*/i

/** 'managed-identity' and the endpoint the environment offers for it. */
function parseManagedIdentity(raw: RawInputs, notes: string[]): ManagedIdentitySettings {
  const value = raw['managed-identity']
  const objectId = OBJECT_ID_PREFIX.test(value) ? value.replace(OBJECT_ID_PREFIX, '') : undefined
  let id: ManagedIdentityId
  if (value.toLowerCase() === 'system') id = { kind: 'system' }
  else if (objectId !== undefined && isGuid(objectId)) id = { kind: 'object-id', value: objectId.toLowerCase() }
  else if (isGuid(value)) id = { kind: 'client-id', value: value.toLowerCase() }
  else if (RESOURCE_ID.test(value)) id = { kind: 'resource-id', value }
  else {
    throw invalidInput(
      'managed-identity',
      objectId !== undefined
        ? `'managed-identity' has object-id: but no GUID after it: '${printable(value)}'.`
        : `'managed-identity' is not 'system', a client ID, object-id:GUID or a resource ID: '${printable(value)}'.`,
      "Give 'system' for the machine's system-assigned identity, or a user-assigned identity's client ID (a GUID, from its Overview page or 'az identity show --query clientId'), its object (principal) ID after object-id: (object-id:GUID, from 'az identity show --query principalId') or its resource ID (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME)."
    )
  }
  const endpoint = parseEndpoint(raw.azureVariables)
  if (endpoint.kind === 'imds' && raw.azureVariables.IDENTITY_ENDPOINT) {
    notes.push(
      'IDENTITY_ENDPOINT is set, but neither IDENTITY_HEADER (App Service, Container Apps) nor IMDS_ENDPOINT (Azure Arc) is: it is not used, and IMDS is asked.'
    )
  }
  if (endpoint.kind === 'arc' && id.kind !== 'system') {
    throw invalidInput(
      'managed-identity',
      "'managed-identity' names a user-assigned identity, but this is an Azure Arc-enabled server, where the action uses only the machine's system-assigned identity.",
      "Set 'managed-identity' to system."
    )
  }
  return { id, endpoint }
}

function parseEndpoint(env: RawInputs['azureVariables']): ManagedIdentityEndpoint {
  // Service Fabric sets IDENTITY_SERVER_THUMBPRINT beside the App Service pair, and MSAL checks it
  // first (ManagedIdentityClient, ServiceFabric.ts): its endpoint speaks another API version with
  // another header, over HTTPS pinned to that thumbprint. Refused rather than asked wrongly.
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_SERVER_THUMBPRINT) {
    throw invalidInput(
      'managed-identity',
      "'managed-identity' is set on a Service Fabric node (IDENTITY_SERVER_THUMBPRINT is set), whose managed identity endpoint this action does not support.",
      'Use GitHub OIDC, a federated token file or a certificate there instead.'
    )
  }
  // App Service and Container Apps set both; MSAL checks them before IMDS.
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER) {
    return {
      kind: 'identity-endpoint',
      url: parseLocalUrl('IDENTITY_ENDPOINT', env.IDENTITY_ENDPOINT),
      header: secretHeaderValue('IDENTITY_HEADER', env.IDENTITY_HEADER)
    }
  }
  // Azure Arc's agent sets both (MSAL checks it after App Service, before IMDS).
  if (env.IDENTITY_ENDPOINT && env.IMDS_ENDPOINT) return { kind: 'arc', url: parseLocalUrl('IDENTITY_ENDPOINT', env.IDENTITY_ENDPOINT) }
  // The Azure SDKs' override of the IMDS host; also how a test reaches a fake IMDS.
  const base = env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    ? parseLocalUrl('AZURE_POD_IDENTITY_AUTHORITY_HOST', env.AZURE_POD_IDENTITY_AUTHORITY_HOST)
    : 'http://169.254.169.254'
  return { kind: 'imds', baseUrl: base.replace(/\/+$/, '') }
}

/**
 * A managed identity endpoint: plain http is normal there, since it never leaves the machine or
 * its link (MSAL and @azure/identity accept any http URL in these variables).
 */
function parseLocalUrl(variable: string, value: string): string {
  return parseVariableUrl(variable, value, {
    hint: `Azure sets ${variable} for the managed identity endpoint of this machine; something in the job changed it. Unset it, or give an http(s) URL.`,
    plainHttpTo: host => isLoopback(host) || LINK_LOCAL.test(host),
    plainHttpElsewhere: 'off this machine and its link-local network (169.254.0.0/16)'
  })
}

/**
 * A URL from an environment variable that the action sends a secret to (the OIDC request token,
 * IDENTITY_HEADER): http or https, no credentials in it, and plain http only to the hosts allowed.
 */
function parseVariableUrl(
  variable: string,
  value: string,
  rules: { hint: string; plainHttpTo: (hostname: string) => boolean; plainHttpElsewhere: string }
): string {
  const fail = (what: string) => new ActionError('invalid-input', `${variable} ${what}.`, { input: variable, hint: rules.hint })
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail('is not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`uses '${url.protocol.slice(0, -1)}', not https`)
  if (url.username || url.password) throw fail('must not contain credentials')
  if (url.protocol === 'http:' && !rules.plainHttpTo(url.hostname)) throw fail(`is plain http to ${url.host}, ${rules.plainHttpElsewhere}`)
  return url.href
}

/**
 * A secret that goes into a request header as it is: visible ASCII only, so it cannot break the
 * header, and long enough to be real (inputs.ts did not mask a shorter one).
 */
function secretHeaderValue(variable: string, value: string): string {
  const fail = (what: string) =>
    new ActionError('invalid-input', `${variable} ${what}.`, {
      input: variable,
      hint: `The runner or the platform sets ${variable}; something in the job changed it. Unset it, or leave it as it was set.`
    })
  if (!/^[\x21-\x7e]+$/.test(value)) throw fail('has characters a request header cannot carry')
  const short = tooShortToBeSecret(value)
  if (short) throw fail(`is ${short}`)
  return value
}

/** 'oidc-audience': one audience, as the federated credential lists it (600 characters at most there). */
function parseAudience(value: string): string {
  if (!value) return ''
  if (value.length > 600 || /[\s\p{Cc}\p{Cf}]/u.test(value)) {
    throw invalidInput(
      'oidc-audience',
      `'oidc-audience' is not one audience: '${printable(value)}'.`,
      "Give the federated credential's single audience, such as api://AzureADTokenExchange (no spaces, at most 600 characters), or leave it empty for the cloud's default."
    )
  }
  if (value.endsWith('/.default')) {
    throw invalidInput(
      'oidc-audience',
      `'oidc-audience' ends in /.default: '${printable(value)}'.`,
      "An audience is not a scope: give the federated credential's audience as it is, such as api://AzureADTokenExchange."
    )
  }
  return value
}

/** The runner's OIDC URL: the request token goes to it, so never in clear text off the machine. */
function parseIdTokenRequestUrl(value: string): string {
  return parseVariableUrl('ACTIONS_ID_TOKEN_REQUEST_URL', value, {
    hint: 'The runner sets it for jobs with `permissions: id-token: write`; something in this job overwrote it. Remove whatever sets it, or unset it to use another credential.',
    plainHttpTo: isLoopback,
    plainHttpElsewhere: 'which would send the request token in clear text'
  })
}

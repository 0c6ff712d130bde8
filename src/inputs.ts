import type { Io } from './io.js'
import { privateKeyLines } from './pem.js'
import { proxySecrets } from './proxy.js'
import { tooShortToBeSecret } from './secret-length.js'

/** The inputs of action.yml, as the workflow gave them (trimmed strings, '' when absent). */
export interface RawInputs {
  'tenant-id': string
  'client-id': string
  'client-secret': string
  'client-certificate': string
  'client-certificate-password': string
  'managed-identity': string
  'federated-token-file': string
  cloud: string
  scope: string
  'authority-host': string
  'oidc-audience': string
  'required-roles': string
  'job-summary': string
  'max-attempts': string
  'timeout-seconds': string
  'keep-fresh': string
  'azure-credentials': string
  /** ACTIONS_ID_TOKEN_REQUEST_URL: present only with `permissions: id-token: write`. */
  idTokenRequestUrl: string
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN: the bearer token for the URL above. */
  idTokenRequestToken: string
  /** https_proxy, HTTPS_PROXY, no_proxy and NO_PROXY as the runner's environment has them. */
  proxyVariables: Record<string, string | undefined>
  /** What Azure sets for a managed identity or workload identity (trimmed, absent when unset). */
  azureVariables: Partial<Record<AzureVariable, string>>
}

// Set by Azure: App Service and Container Apps (IDENTITY_*), Azure Arc (IDENTITY_ENDPOINT, IMDS_ENDPOINT),
// the Azure SDKs' IMDS override, and
// the AKS workload identity webhook (AZURE_*: the token file, tenant, client and login host).
const AZURE_VARIABLES = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT',
  'IMDS_ENDPOINT',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_AUTHORITY_HOST'
] as const
type AzureVariable = (typeof AZURE_VARIABLES)[number]

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']
// The shortest proxy credential masked (proxy.ts masks a user name alone from this length too).
const MIN_PROXY_SECRET = 8

/**
 * The only place inputs are read. Every secret is masked the moment it is read (maskSecrets),
 * before anything else can print it; identifiers (client and tenant IDs) are not, since users pass
 * them on.
 */
export function readInputs(io: Pick<Io, 'getInput' | 'mask' | 'env'>): RawInputs {
  const raw: RawInputs = {
    'client-secret': io.getInput('client-secret'),
    'client-certificate': io.getInput('client-certificate'),
    'client-certificate-password': io.getInput('client-certificate-password'),
    'managed-identity': io.getInput('managed-identity'),
    'federated-token-file': io.getInput('federated-token-file'),
    idTokenRequestToken: io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim() ?? '',
    idTokenRequestUrl: io.env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim() ?? '',
    'tenant-id': io.getInput('tenant-id'),
    'client-id': io.getInput('client-id'),
    cloud: io.getInput('cloud'),
    scope: io.getInput('scope'),
    'authority-host': io.getInput('authority-host'),
    'oidc-audience': io.getInput('oidc-audience'),
    'required-roles': io.getInput('required-roles'),
    'job-summary': io.getInput('job-summary'),
    'max-attempts': io.getInput('max-attempts'),
    'timeout-seconds': io.getInput('timeout-seconds'),
    'keep-fresh': io.getInput('keep-fresh'),
    'azure-credentials': io.getInput('azure-credentials'),
    proxyVariables: Object.fromEntries(PROXY_VARIABLES.map(name => [name, io.env[name]])),
    azureVariables: Object.fromEntries(AZURE_VARIABLES.map(name => [name, io.env[name]?.trim()]).filter(([, v]) => v))
  }
  maskSecrets(raw, io.mask)
  return raw
}

/**
 * Registers every secret among the inputs and variables, in every spelling that can be printed.
 * The step does it as it reads them; the background renewer, which gets them on its pipe, does it
 * again, so that what a server echoes during a renewal is redacted from its status file too.
 */
export function maskSecrets(raw: RawInputs, register: (value: string) => void): void {
  const mask = (...values: string[]) => {
    for (const value of new Set(values)) if (value) register(value)
  }
  // A value too short to be real is never registered (the runner would blank out its letters all
  // over the log): settings.ts refuses it before any request when it is the one used.
  const credential = (value: string, ...parts: string[]) => {
    if (!tooShortToBeSecret(value)) mask(value, ...parts)
  }
  // As it is, and as the form body spells it: every Entra secret has a `~`, which URLSearchParams
  // writes as %7E, and an endpoint or gateway that echoes the request would print that spelling.
  credential(raw['client-secret'], formEncoded(raw['client-secret']))
  // The whole PEM, and each line of the key's base64 body: the runner matches masks per line.
  mask(raw['client-certificate'], ...privateKeyLines(raw['client-certificate']))
  mask(raw['client-certificate-password'])
  credential(raw.idTokenRequestToken)
  // The App Service / Container Apps identity header is a secret (learn.microsoft.com, "Managed
  // identities for App Service": it mitigates server-side request forgery); so is a proxy's
  // credential, in every spelling that can be printed (NODE_DEBUG prints Proxy-Authorization).
  credential(raw.azureVariables.IDENTITY_HEADER ?? '')
  // A proxy's credential is the user's own and is never refused; one too short to mask without
  // blanking ordinary text all over the log ('aaaa', 'graph') is not masked (its base64, in the
  // Proxy-Authorization header, is long enough to be).
  const proxy = [...proxySecrets(raw.proxyVariables.https_proxy), ...proxySecrets(raw.proxyVariables.HTTPS_PROXY)]
  mask(...proxy.filter(value => value.length >= MIN_PROXY_SECRET))
}

/** A value as URLSearchParams writes it in a form body. */
function formEncoded(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}

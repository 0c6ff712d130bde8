import { realpathSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { ActionError } from '../errors.js'
import { describeBody, parseJson, type HttpRequest, type HttpResponse } from '../http-transport.js'
import type { ManagedIdentitySettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import { cutAtBoundary, serverText, singleLine } from '../inert-text.js'
import { parseRetryAfter } from '../retry.js'
import { shellQuote } from '../shell-quote.js'
import { readSmallFile } from '../small-file.js'
import { tooShortToBeSecret } from '../secret-length.js'
import { readTokenResponse, type Token } from '../token-response.js'

// A machine without a managed identity endpoint drops the connection attempt silently; the Azure
// SDK gives IMDS one second to answer a probe (identity/src/credentials/managedIdentityCredential/imdsMsi.ts).
const CONNECT_TIMEOUT_MS = 2000

/**
 * Retried, per "How to use managed identities ... on an Azure VM to acquire an access token"
 * (error handling, retry guidance): 404 and 410 while IMDS is updating, 408, 429 and 5xx.
 * 400, 401 and 403 are final.
 */
function isTransientManagedIdentityStatus(status: number): boolean {
  return status === 404 || status === 408 || status === 410 || status === 429 || (status >= 500 && status <= 599)
}

/**
 * One GET to the machine's managed identity endpoint for a token for `resource` (a scope without
 * /.default); on Azure Arc, two, the second answering the agent's challenge. Never through a proxy: the endpoint is local to the machine. The token is checked,
 * then masked the moment it is parsed.
 */
export async function requestManagedIdentityToken(
  io: Pick<Io, 'http' | 'mask' | 'redact' | 'now'>,
  identity: ManagedIdentitySettings,
  resource: string,
  signal: AbortSignal
): Promise<Token> {
  const request = managedIdentityRequest(identity, resource)
  const sentAt = io.now()
  const send = async (headers: Record<string, string>) => {
    try {
      return await io.http.request({
        ...request,
        headers: { ...request.headers, ...headers },
        signal,
        connectTimeoutMs: CONNECT_TIMEOUT_MS
      })
    } catch (error) {
      if (error instanceof ActionError && error.unreachable) throw noEndpoint(identity, request.url, error)
      throw error
    }
  }
  let response = await send({})
  if (identity.endpoint.kind === 'arc' && response.status === 401) {
    // Azure Arc answers first with the path of a file only a local administrator (or the agent's
    // group) can read; its content proves the caller runs on the machine.
    const secret = readArcChallenge(response.headers['www-authenticate'], arcTokenDirectory())
    io.mask(secret)
    response = await send({ authorization: `Basic ${secret}` })
  }
  const body = parseJson(response.body)
  if (response.status === 200) {
    const token = readTokenResponse(body, sentAt)
    if ('problem' in token) {
      throw new ActionError(
        'bad-response',
        `The managed identity endpoint answered HTTP 200 with ${token.problem} (${describeBody(response)}).`,
        { hint: 'That is not a managed identity token response: check what answers at that address on this machine.' }
      )
    }
    io.mask(token.accessToken)
    return token
  }
  throw explainManagedIdentityError(response, body, identity, io)
}

// The API version each endpoint speaks, from the Learn pages above. Azure Arc: "Authenticate
// against Azure resources with Azure Arc-enabled servers" shows 2020-06-01 (PowerShell) and
// 2019-11-01 (bash); 2020-06-01 is the newer, and what MSAL and @azure/identity send.
const API_VERSIONS = { imds: '2018-02-01', 'identity-endpoint': '2019-08-01', arc: '2020-06-01' }

// How each endpoint names a user-assigned identity, as MSAL Node sends it
// (BaseManagedIdentitySource.ts, ManagedIdentityUserAssignedIdQueryParameterNames): IMDS spells
// the resource ID msi_res_id, App Service mi_res_id; both take client_id and object_id (App
// Service documents principal_id, with object_id as its alias). Azure Arc has no user-assigned one.
const ID_PARAMETERS = {
  imds: { 'client-id': 'client_id', 'object-id': 'object_id', 'resource-id': 'msi_res_id' },
  'identity-endpoint': { 'client-id': 'client_id', 'object-id': 'object_id', 'resource-id': 'mi_res_id' }
} as const

/** The request of IMDS, of App Service / Container Apps, or of Azure Arc (before its challenge). */
export function managedIdentityRequest(identity: ManagedIdentitySettings, resource: string): Omit<HttpRequest, 'signal'> {
  const { id, endpoint } = identity
  const imds = endpoint.kind === 'imds'
  const url = new URL(imds ? `${endpoint.baseUrl}/metadata/identity/oauth2/token` : endpoint.url)
  url.searchParams.set('api-version', API_VERSIONS[endpoint.kind])
  url.searchParams.set('resource', resource)
  if (id.kind !== 'system' && endpoint.kind !== 'arc') url.searchParams.set(ID_PARAMETERS[endpoint.kind][id.kind], id.value)
  return {
    method: 'GET',
    url: url.href,
    headers:
      endpoint.kind === 'identity-endpoint'
        ? { 'x-identity-header': endpoint.header, accept: 'application/json' }
        : { metadata: 'true', accept: 'application/json' }
  }
}

/** Where the Azure Connected Machine agent writes its challenge files. */
export function arcTokenDirectory(): string {
  return process.platform === 'win32'
    ? join(process.env.ProgramData || 'C:\\ProgramData', 'AzureConnectedMachineAgent', 'Tokens')
    : '/var/opt/azcmagent/tokens'
}

// MSAL reads a challenge file only from the agent's folder, only a .key, and at most 4096 bytes
// (lib/msal-node/src/client/ManagedIdentitySources/AzureArc.ts): a server that could name any file
// would otherwise have the action send that file's content to it.
const MAX_ARC_KEY_BYTES = 4096

/** The content of the challenge file an Azure Arc 401 names, after checking where it is. */
export function readArcChallenge(header: string | string[] | undefined, directory: string): string {
  const fail = (what: string) =>
    new ActionError('managed-identity', `The Azure Arc identity endpoint's challenge ${what}.`, {
      hint: `The agent names a .key file in ${directory}; check the Azure Connected Machine agent (azcmagent show), and that the runner's account may read that folder (on Linux, membership of the himds group).`
    })
  const realm = /^Basic realm=(.+)$/i.exec((Array.isArray(header) ? header[0] : header) ?? '')?.[1]
  if (!realm) throw fail('has no Basic realm')
  const shown = cutAtBoundary(singleLine(realm), 200)
  const path = resolve(realm)
  if (dirname(path) !== resolve(directory)) throw fail(`names a file outside the agent's token folder (${shown})`)
  if (extname(path) !== '.key') throw fail(`names a file that is not a .key file (${shown})`)
  // A .key that is a link to a file elsewhere would make the action send that file: the file it
  // resolves to must be in the agent's folder too (and have the name the agent gave it there).
  let real: string
  try {
    real = realpathSync(path)
  } catch (error) {
    throw fail(`names a file that cannot be read (${(error as { code?: string }).code ?? 'error'})`)
  }
  if (dirname(real) !== realDirectory(directory)) throw fail(`names a link to a file outside the agent's token folder (${basename(path)})`)
  if (extname(real) !== '.key') throw fail(`names a link to a file that is not a .key file (${basename(path)})`)
  const file = readSmallFile(real, MAX_ARC_KEY_BYTES)
  if ('problem' in file)
    throw fail(
      `names a file that ${file.problem === 'missing' || file.problem === 'unreadable' ? `cannot be read (${file.code ?? 'error'})` : `is ${file.problem}`}`
    )
  const content = file.text.trim()
  if (!/^[\x21-\x7e]+$/.test(content)) throw fail('names a file whose content cannot go in a header')
  // It is masked next: a file holding 'a' would blank out every a in the rest of the log.
  const short = tooShortToBeSecret(content)
  if (short) throw fail(`names a file whose content is ${short}`)
  return content
}

/** The agent's folder as the file system names it (itself a link on some machines). */
function realDirectory(directory: string): string {
  try {
    return realpathSync(directory)
  } catch {
    return resolve(directory)
  }
}

function where({ endpoint }: ManagedIdentitySettings): string {
  return endpoint.kind === 'imds'
    ? `the instance metadata service (IMDS) at ${new URL(endpoint.baseUrl).host}`
    : `${endpoint.kind === 'arc' ? "the Azure Arc agent's " : ''}IDENTITY_ENDPOINT (${new URL(endpoint.url).host})`
}

function noEndpoint(identity: ManagedIdentitySettings, url: string, cause: ActionError): ActionError {
  return new ActionError('network', `No managed identity endpoint answered: ${cause.message.replace(/\.$/, '')} (${where(identity)}).`, {
    input: 'managed-identity',
    hint: "'managed-identity' works on Azure: VMs, virtual machine scale sets, Container Apps jobs and AKS nodes, where the platform provides the endpoint, and on Azure Arc-enabled servers. GitHub-hosted runners have none: use GitHub OIDC there (leave 'managed-identity' empty and give the job 'permissions: id-token: write').",
    details: [`Tried: ${new URL(url).origin}${new URL(url).pathname}`],
    cause
  })
}

// IMDS answers 410 while it updates, and is back "within 70 seconds" (learn.microsoft.com, "How to
// use managed identities ... on an Azure VM to acquire an access token", error handling). MSAL Node
// asks again every 10 s, 7 times (retry/ImdsRetryPolicy.ts: HTTP_STATUS_GONE_RETRY_AFTER_MS,
// LINEAR_STRATEGY_NUM_RETRIES); so does the action, without using up 'max-attempts'.
const IMDS_UPDATING = { everyMs: 10_000, upToMs: 70_000 }

function explainManagedIdentityError(
  response: HttpResponse,
  body: Record<string, unknown> | undefined,
  identity: ManagedIdentitySettings,
  io: Pick<Io, 'redact' | 'now'>
): ActionError {
  // Each field redacted and bounded (serverText): an endpoint may echo the request, or send a megabyte.
  const text = (value: unknown, max = 2000) => serverText(value, max, io.redact)
  // IMDS answers OAuth-style errors; App Service answers { statusCode, message, correlationId }.
  const said = [text(body?.error, 200), text(body?.error_description) || text(body?.message)].filter(Boolean).join(': ')
  const status = response.status
  const transient = isTransientManagedIdentityStatus(status)
  const notFound = status === 400 && /identity not found|no msi found|no managed identity/i.test(said)
  return new ActionError(
    'managed-identity',
    `The managed identity endpoint refused the token request (HTTP ${status}): ${notFound ? 'this machine has no such identity.' : said || describeBody(response)}`,
    {
      input: notFound || status === 400 ? 'managed-identity' : undefined,
      hint: notFound
        ? identityNotFoundHint(identity)
        : transient
          ? undefined
          : status === 401 || status === 403
            ? refusedHint(identity)
            : undefined,
      details: [
        notFound && said ? `The endpoint said: ${said}` : '',
        text(body?.correlationId, 100) ? `Correlation ID: ${text(body?.correlationId, 100)}` : ''
      ].filter(Boolean),
      transient,
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], io.now()),
      waitOut: status === 410 && identity.endpoint.kind === 'imds' ? IMDS_UPDATING : undefined
    }
  )
}

function identityNotFoundHint({ id }: ManagedIdentitySettings): string {
  if (id.kind === 'system') {
    return "This machine has no system-assigned managed identity: enable one ('az vm identity assign -g RG -n VM', or 'az vmss identity assign -g RG -n VMSS' for a scale set), or name a user-assigned identity in 'managed-identity'."
  }
  const resourceId = id.kind === 'resource-id' ? shellQuote(id.value) : '"$(az identity show -g RG -n NAME --query id -o tsv)"'
  const named = { 'client-id': 'client ID', 'object-id': 'object (principal) ID', 'resource-id': 'resource ID' }[id.kind]
  return `No user-assigned identity with this ${named} is assigned to this machine: assign it ('az vm identity assign -g RG -n VM --identities ${resourceId}', or 'az vmss identity assign -g RG -n VMSS --identities ${resourceId}' and update the scale set's instances), or fix 'managed-identity'.`
}

function refusedHint({ endpoint }: ManagedIdentitySettings): string {
  if (endpoint.kind === 'identity-endpoint')
    return 'The endpoint did not accept IDENTITY_HEADER: something in the job changed IDENTITY_ENDPOINT or IDENTITY_HEADER; leave both as the platform sets them.'
  if (endpoint.kind === 'arc')
    return "The Azure Connected Machine agent refused the request: check the agent (azcmagent show), that the runner's account may read its token folder, and that nothing in the job changed IDENTITY_ENDPOINT or IMDS_ENDPOINT."
  return `IMDS refused the request: a proxy or firewall rule on this machine may be intercepting ${new URL(endpoint.baseUrl).host}.`
}

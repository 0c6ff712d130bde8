import { dirname, extname, join, resolve } from 'node:path'
import { ActionError } from '../errors.js'
import { describeBody, parseJson, type HttpRequest, type HttpResponse } from '../http-transport.js'
import type { ManagedIdentitySettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import { cutAtBoundary, serverText, singleLine } from '../inert-text.js'
import { parseRetryAfter } from '../retry.js'
import { shellQuote } from '../shell-quote.js'
import { readSmallFile } from '../small-file.js'
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

// The API version each endpoint speaks (the Learn pages above; Azure Arc: MSAL's AzureArc.ts).
const API_VERSIONS = { imds: '2018-02-01', 'identity-endpoint': '2019-08-01', arc: '2019-11-01' }

/** The request of IMDS, of App Service / Container Apps, or of Azure Arc (before its challenge). */
export function managedIdentityRequest(identity: ManagedIdentitySettings, resource: string): Omit<HttpRequest, 'signal'> {
  const { id, endpoint } = identity
  const imds = endpoint.kind === 'imds'
  const url = new URL(imds ? `${endpoint.baseUrl}/metadata/identity/oauth2/token` : endpoint.url)
  url.searchParams.set('api-version', API_VERSIONS[endpoint.kind])
  url.searchParams.set('resource', resource)
  if (id.kind === 'client-id') url.searchParams.set('client_id', id.value)
  // IMDS spells the resource ID parameter msi_res_id; App Service spells it mi_res_id.
  if (id.kind === 'resource-id') url.searchParams.set(imds ? 'msi_res_id' : 'mi_res_id', id.value)
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
  const path = resolve(realm)
  if (dirname(path) !== resolve(directory) || extname(path) !== '.key') {
    throw fail(`names a file outside the agent's token folder (${cutAtBoundary(singleLine(realm), 200)})`)
  }
  const file = readSmallFile(path, MAX_ARC_KEY_BYTES)
  if ('problem' in file)
    throw fail(
      `names a file that ${file.problem === 'missing' || file.problem === 'unreadable' ? `cannot be read (${file.code ?? 'error'})` : `is ${file.problem}`}`
    )
  const content = file.text.trim()
  if (!/^[\x21-\x7e]+$/.test(content)) throw fail('names a file whose content cannot go in a header')
  return content
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
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], io.now())
    }
  )
}

function identityNotFoundHint({ id }: ManagedIdentitySettings): string {
  if (id.kind === 'system') {
    return "This machine has no system-assigned managed identity: enable one ('az vm identity assign -g RG -n VM', or 'az vmss identity assign -g RG -n VMSS' for a scale set), or name a user-assigned identity in 'managed-identity'."
  }
  const resourceId = id.kind === 'resource-id' ? shellQuote(id.value) : '"$(az identity show -g RG -n NAME --query id -o tsv)"'
  return `No user-assigned identity with this ${id.kind === 'client-id' ? 'client ID' : 'resource ID'} is assigned to this machine: assign it ('az vm identity assign -g RG -n VM --identities ${resourceId}', or 'az vmss identity assign -g RG -n VMSS --identities ${resourceId}' and update the scale set's instances), or fix 'managed-identity'.`
}

function refusedHint({ endpoint }: ManagedIdentitySettings): string {
  return endpoint.kind === 'identity-endpoint'
    ? 'The endpoint did not accept IDENTITY_HEADER: something in the job changed IDENTITY_ENDPOINT or IDENTITY_HEADER; leave both as the platform sets them.'
    : 'IMDS refused the request: a proxy or firewall rule on this machine may be intercepting 169.254.169.254.'
}

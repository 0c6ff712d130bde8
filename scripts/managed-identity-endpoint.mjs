// A local stand-in for a machine's managed identity endpoints, on plain HTTP at 127.0.0.1 as the
// real ones are plain HTTP on the machine: the instance metadata service (IMDS, learn.microsoft.com
// "How to use managed identities for Azure resources on an Azure VM to acquire an access token")
// and the App Service / Container Apps IDENTITY_ENDPOINT ("Managed identities for App Service and
// Azure Functions"), each answering with the body its page shows (the same bodies are the fixtures
// of __tests__/fixtures/managed-identity.ts, which the tests compare with these). Tokens are signed by the Entra ID simulator, which trusts them as client
// assertions, as Entra trusts a managed identity's token for api://AzureADTokenExchange.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { appServiceAnswer, arcAnswer, imdsAnswer } from '../__tests__/fixtures/managed-identity.mjs'

const EXCHANGE_AUDIENCES = ['api://AzureADTokenExchange', 'api://AzureADTokenExchangeUSGov', 'api://AzureADTokenExchangeChina']

/**
 * options:
 *   tenantId
 *   sign(claims): a JWT signed by the Entra ID simulator (simulator.signToken)
 *   identities: [{ clientId, objectId, resourceId?, system?: true, roles? }] assigned to "this machine"
 *   resources: resource URIs the tenant knows (others get AADSTS500011, as IMDS passes it on)
 *   identityHeader: the secret X-IDENTITY-HEADER value the IDENTITY_ENDPOINT route expects
 *   lifetime: seconds its tokens live (default 86399, as IMDS gives about 24 hours); a few lets a test watch renewals
 *   arcKeyFile: the challenge file the Azure Arc route (/arc/token) names in its 401; its content
 *     is the password the second request must carry
 */
export async function startManagedIdentityEndpoint(options) {
  const requests = []
  const faults = []
  const sockets = new Set()
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    requests.push({
      method: req.method,
      url: req.url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      at: Date.now()
    })
    const fault = faults.shift()
    if (fault?.hang) return
    if (fault?.reset) return req.socket.destroy()
    if (fault) return send(res, fault.status, fault.body ?? '', fault.headers)
    const handlers = { '/metadata/identity/oauth2/token': handleImds, '/msi/token': handleIdentityEndpoint, '/arc/token': handleArc }
    const handler = handlers[url.pathname]
    if (!handler) return send(res, 404, 'Not found', { 'content-type': 'text/plain' })
    const answer = handler(url.searchParams, req.headers)
    if (answer.challenge) return send(res, 401, '', { 'www-authenticate': `Basic realm=${answer.challenge}` })
    send(res, answer.status, JSON.stringify(answer.body), { 'content-type': 'application/json; charset=utf-8' })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function send(res, status, text, headers = {}) {
    res.writeHead(status, headers)
    res.end(text)
  }

  function imdsError(status, error, description) {
    return { status, body: { error, error_description: description } }
  }

  function handleImds(query, headers) {
    if (headers.metadata !== 'true') return imdsError(400, 'invalid_request', 'Required metadata header not specified')
    if (query.get('api-version') !== '2018-02-01') return imdsError(400, 'invalid_request', 'Invalid api-version')
    // The IMDS spellings: client_id, object_id, msi_res_id.
    const identity = pick(query.get('client_id'), query.get('object_id'), query.get('msi_res_id'))
    if (!identity) return imdsError(400, 'invalid_request', 'Identity not found')
    return issue(identity, query.get('resource'), (status, message) => imdsError(status, 'invalid_resource', message), imdsAnswer)
  }

  function handleIdentityEndpoint(query, headers) {
    const fail = (status, message) => ({ status, body: { statusCode: status, message, correlationId: randomUUID() } })
    if (headers['x-identity-header'] !== options.identityHeader) return fail(401, 'The X-IDENTITY-HEADER is missing or wrong.')
    if (query.get('api-version') !== '2019-08-01') return fail(400, 'Invalid api-version')
    // The App Service spellings: client_id, principal_id (object_id is its alias), mi_res_id.
    const identity = pick(query.get('client_id'), query.get('principal_id') ?? query.get('object_id'), query.get('mi_res_id'))
    if (!identity) return fail(400, 'No MSI found for specified ClientId/ResourceId.')
    return issue(identity, query.get('resource'), fail, (token, resource, now, lifetime) =>
      appServiceAnswer(token, resource, now, lifetime, identity.clientId)
    )
  }

  // Azure Arc ("Authenticate against Azure resources with Azure Arc-enabled servers"; MSAL's
  // AzureArc.ts): a 401 naming a file only the machine's administrators can read, then the same
  // request with that file's content as Basic credentials. System-assigned only.
  function handleArc(query, headers) {
    if (headers.metadata !== 'true') return imdsError(400, 'invalid_request', 'Required metadata header not specified')
    if (query.get('api-version') !== '2020-06-01') return imdsError(400, 'invalid_request', 'Invalid api-version')
    const secret = readFileSync(options.arcKeyFile, 'utf8').trim()
    if (headers.authorization !== `Basic ${secret}`) return { challenge: options.arcKeyFile }
    const identity = pick()
    if (!identity) return imdsError(400, 'invalid_request', 'Identity not found')
    return issue(identity, query.get('resource'), (status, message) => imdsError(status, 'invalid_resource', message), arcAnswer)
  }

  /** The identity a request names, or the system-assigned one when it names none. */
  function pick(clientId, objectId, resourceId) {
    if (clientId) return options.identities.find(i => !i.system && i.clientId === clientId)
    if (objectId) return options.identities.find(i => !i.system && i.objectId === objectId)
    if (resourceId) return options.identities.find(i => !i.system && i.resourceId?.toLowerCase() === resourceId.toLowerCase())
    return options.identities.find(i => i.system)
  }

  function issue(identity, resource, fail, body) {
    const exchange = EXCHANGE_AUDIENCES.includes(resource)
    if (!resource || (!exchange && !options.resources.includes(resource.replace(/\/$/, '')))) {
      return fail(400, `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${options.tenantId}.`)
    }
    const now = Math.floor(Date.now() / 1000)
    const lifetime = options.lifetime ?? 86_399
    const claims = exchange
      ? // What the app's federated credential matches: the identity's tenant as issuer, its object ID as subject.
        { aud: resource, iss: `https://login.microsoftonline.com/${options.tenantId}/v2.0`, sub: identity.objectId }
      : {
          aud: resource.replace(/\/$/, ''),
          iss: `https://sts.windows.net/${options.tenantId}/`,
          sub: identity.objectId,
          idtyp: 'app',
          ...(identity.roles?.length ? { roles: identity.roles } : {})
        }
    const accessToken = options.sign({
      ...claims,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      oid: identity.objectId,
      tid: options.tenantId,
      appid: identity.clientId
    })
    return { status: 200, body: body(accessToken, resource, now, lifetime) }
  }

  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    port,
    /** For AZURE_POD_IDENTITY_AUTHORITY_HOST: the IMDS base URL. */
    imdsUrl: `http://127.0.0.1:${port}`,
    /** For IDENTITY_ENDPOINT, with options.identityHeader as IDENTITY_HEADER. */
    identityEndpoint: `http://127.0.0.1:${port}/msi/token`,
    /** For IDENTITY_ENDPOINT on an Azure Arc-enabled server (with IMDS_ENDPOINT set too). */
    arcEndpoint: `http://127.0.0.1:${port}/arc/token`,
    /** Every request received, in order: { method, url, path, query, headers, at }. */
    requests,
    /** Makes the next requests fail: [{ status, body, headers } | { reset: true } | { hang: true }]. */
    inject(...list) {
      faults.push(...list)
    },
    reset() {
      requests.length = 0
      faults.length = 0
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

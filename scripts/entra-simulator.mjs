// A local stand-in for the Entra ID v2.0 token endpoint and for GitHub's OIDC ID-token endpoint,
// on HTTPS at 127.0.0.1. It checks requests the way Entra ID does (tenant, client, secret,
// certificate assertion, federated credential, scope) and answers with the same JSON shapes and
// AADSTS codes (learn.microsoft.com: "Microsoft identity platform and the OAuth 2.0 client
// credentials flow", "Microsoft Entra authentication and authorization error codes"), so the
// action can be run end to end without a tenant: by `npm start`, the end-to-end tests and the
// benchmark.
import { constants, createHash, generateKeyPairSync, randomUUID, sign, verify, X509Certificate } from 'node:crypto'
import https from 'node:https'

const b64u = data => Buffer.from(data).toString('base64url')
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'

/** A tenant, an app and a secret that `npm start` and most tests use. */
export const DEMO = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  domain: 'contoso.onmicrosoft.com',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  clientSecret: 'demo8Q~NotARealSecret.0123456789abcdefghij',
  appName: 'graph-token-action demo',
  roles: ['User.Read.All', 'Group.Read.All']
}

/** Microsoft Graph's application ID URI in each cloud: an app's `roles` are its roles on these. */
export const GRAPH_RESOURCES = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn'
]

/**
 * The resources every simulated tenant has a service principal for, as a real tenant has for
 * Microsoft's APIs: Graph, Azure Resource Manager and Key Vault. Any other scope is refused with
 * AADSTS500011, as Entra ID refuses a resource it does not know (such as a mistyped
 * api://... URI), unless the test registers it with the `resources` option.
 */
export const KNOWN_RESOURCES = [...GRAPH_RESOURCES, 'https://management.azure.com', 'https://vault.azure.net']

/**
 * options:
 *   tls: { key, cert } for the HTTPS server
 *   apps: [{ clientId, displayName, secrets: [{ value, expired? }], certificates: [PEM], federated: [{ issuer, subject, audience }], roles, resourceRoles?, opaque?, disabled? }]
 *     roles: the app's Microsoft Graph application permissions; resourceRoles: { [resource]: roles }
 *     for any other resource (none by default: Azure RBAC, for one, is not carried in the token)
 *   resources: application ID URIs of the tenant's own APIs (api://...), besides KNOWN_RESOURCES
 *   tenants: [{ id, domains }]
 *   expiresIn: seconds (default 3599 + a random part, as Entra does); a few seconds lets a test watch renewals
 *   refreshIn: seconds for the answer's refresh_in (absent by default; Entra adds it to long-lived
 *     tokens, MSAL's ServerAuthorizationTokenResponse reads it)
 *   idTokenLifetime: seconds GitHub's ID tokens live (default 300, as GitHub's do)
 *   tokenClaims: claims that replace the issued token's own (a hostile or odd token, for tests)
 *   oidc: { requestToken, subject, issuer? } for the fake GitHub endpoint at /_services/idtoken
 */
export async function startEntraSimulator(options) {
  const tenants = options.tenants ?? [{ id: DEMO.tenantId, domains: [DEMO.domain] }]
  const resources = [...KNOWN_RESOURCES, ...(options.resources ?? [])]
  const apps = options.apps ?? [
    { clientId: DEMO.clientId, displayName: DEMO.appName, secrets: [{ value: DEMO.clientSecret }], roles: DEMO.roles }
  ]
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const githubKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  // A Kubernetes cluster's OIDC issuer, for federated token files (AKS workload identity).
  const clusterKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  // Federated assertions it trusts: GitHub's ID tokens, the cluster's service-account tokens, and
  // its own managed identity tokens for api://AzureADTokenExchange.
  const trustedKeys = [githubKey.publicKey, clusterKey.publicKey, signingKey.publicKey]
  /** Every request received, in order: { route, method, url, headers, form, at }. */
  const requests = []
  /** Every access token issued, in order. */
  const issued = []
  /** Scripted faults, consumed one per request of that route before normal handling. */
  const faults = { token: [], idtoken: [], discovery: [] }
  const sockets = new Set()

  const server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const body = Buffer.concat(chunks).toString()
    const url = new URL(req.url, `https://${req.headers.host}`)
    const route =
      url.pathname === '/_services/idtoken' ? 'idtoken' : url.pathname.endsWith('/.well-known/openid-configuration') ? 'discovery' : 'token'
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : undefined
    requests.push({ route, method: req.method, url: req.url, headers: req.headers, form, at: Date.now() })

    const fault = faults[route].shift()
    if (fault?.hang) return // accept, never answer
    if (fault?.reset) return req.socket.destroy()
    if (fault?.respond) return fault.respond(req, res, body) // anything a broken or hostile server can do
    if (fault)
      return send(res, fault.status, fault.body ?? '', { 'content-type': fault.contentType ?? 'application/json', ...fault.headers })

    try {
      if (route === 'idtoken') return issueIdToken(req, url, res)
      const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname)
      if (req.method === 'GET' && discovery)
        return sendOpenIdConfiguration(res, decodeURIComponent(discovery[1]), `https://${req.headers.host}`)
      const match = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname)
      if (req.method !== 'POST' || !match) return send(res, 404, '<html><body>Not found</body></html>', { 'content-type': 'text/html' })
      const result = handleToken(decodeURIComponent(match[1]), form, `https://${req.headers.host}${url.pathname}`, req.headers)
      send(res, result.status, JSON.stringify(result.body), {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': result.body.trace_id ?? randomUUID(),
        ...(req.headers['return-client-request-id'] === 'true' ? { 'client-request-id': req.headers['client-request-id'] } : {})
      })
    } catch (error) {
      // A bug in the simulator answers like a broken gateway rather than hanging the test.
      console.error(error)
      send(res, 500, `simulator error: ${error.message}`, { 'content-type': 'text/plain' })
    }
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function send(res, status, text, headers) {
    res.writeHead(status, headers)
    res.end(text)
  }

  function issueIdToken(req, url, res) {
    if (!options.oidc || req.headers.authorization !== `Bearer ${options.oidc.requestToken}`) {
      return send(res, 401, JSON.stringify({ message: 'Bad credentials' }), { 'content-type': 'application/json' })
    }
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      jti: randomUUID(),
      sub: options.oidc.subject,
      aud: url.searchParams.get('audience') ?? 'https://github.com/octo-org',
      iss: options.oidc.issuer ?? GITHUB_ISSUER,
      repository: options.oidc.subject.split(':')[1],
      nbf: now - 5,
      iat: now,
      exp: now + (options.idTokenLifetime ?? 300)
    }
    send(res, 200, JSON.stringify({ count: 1, value: signJwt(claims, githubKey.privateKey, 'RS256') }), {
      'content-type': 'application/json'
    })
  }

  /**
   * The tenant's OpenID Connect metadata, which MSAL (and so @azure/identity) reads before its first
   * token request: the example document of learn.microsoft.com "OpenID Connect on the Microsoft
   * identity platform" (Find your app's OpenID configuration document URI), with this host.
   */
  function sendOpenIdConfiguration(res, tenantRef, origin) {
    const tenant = tenants.find(t => t.id === tenantRef.toLowerCase() || t.domains?.includes(tenantRef.toLowerCase()))
    if (!tenant) return send(res, 400, JSON.stringify({ error: 'invalid_tenant' }), { 'content-type': 'application/json' })
    const base = `${origin}/${tenant.id}`
    const body = {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com'
    }
    send(res, 200, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8' })
  }

  function oauthError(status, error, code, text) {
    const trace = randomUUID()
    const correlation = randomUUID()
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z')
    return {
      status,
      body: {
        error,
        error_description: `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: trace,
        correlation_id: correlation,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`
      }
    }
  }

  function handleToken(tenantRef, form, tokenUrl, headers) {
    if (!String(headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.")
    }
    if (['common', 'consumers', 'organizations'].includes(tenantRef.toLowerCase())) {
      return oauthError(400, 'invalid_request', 9001023, "The grant type isn't supported over the /common or /consumers endpoints.")
    }
    const tenant = tenants.find(t => t.id === tenantRef.toLowerCase() || t.domains?.includes(tenantRef.toLowerCase()))
    if (!tenant) {
      return oauthError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantRef}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`
      )
    }
    if (form.grant_type !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
    const scope = form.scope ?? ''
    if (!scope.endsWith('/.default')) {
      return oauthError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
      )
    }
    // `https://management.azure.com//.default` names the resource `https://management.azure.com/`.
    const resource = scope.slice(0, -'/.default'.length)
    const known = resources.find(r => r === resource.replace(/\/$/, ''))
    if (!known) {
      return oauthError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenant.id}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
      )
    }
    const app = apps.find(a => a.clientId === form.client_id)
    if (!app) {
      return oauthError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id}' was not found in the directory '${tenantRef}'.`
      )
    }
    if (app.disabled)
      return oauthError(400, 'unauthorized_client', 7000112, `Application '${app.clientId}'(${app.displayName}) is disabled.`)

    let acr
    if (form.client_secret !== undefined) {
      const secret = app.secrets?.find(s => s.value === form.client_secret)
      if (!secret)
        return oauthError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`
        )
      if (secret.expired)
        return oauthError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${app.clientId}' are expired.`)
      acr = '1'
    } else if (form.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && form.client_assertion) {
      const rejected = checkAssertion(app, form.client_assertion, tokenUrl)
      if (rejected) return rejected
      acr = '2'
    } else {
      return oauthError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
      )
    }

    // Each resource has its own roles: Graph's go only into a Graph token.
    const roles = (GRAPH_RESOURCES.includes(known) ? app.roles : app.resourceRoles?.[known]) ?? []
    const now = Math.floor(Date.now() / 1000)
    const expiresIn = options.expiresIn ?? 3599 + Math.floor(Math.random() * 1800)
    const claims = {
      aud: resource,
      iss: `https://sts.windows.net/${tenant.id}/`,
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: acr,
      idtyp: 'app',
      oid: '99999999-8888-7777-6666-555555555555',
      sub: '99999999-8888-7777-6666-555555555555',
      tid: tenant.id,
      ver: '1.0',
      ...(roles.length ? { roles } : {}),
      ...options.tokenClaims
    }
    const accessToken = app.opaque ? `opaque.${randomUUID()}${randomUUID()}` : signJwt(claims, signingKey.privateKey, 'RS256')
    const refresh = options.refreshIn === undefined ? {} : { refresh_in: options.refreshIn }
    issued.push(accessToken)
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, ...refresh, access_token: accessToken }
    }
  }

  function checkAssertion(app, assertion, tokenUrl) {
    const [h, p, s] = assertion.split('.')
    let header, claims
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString())
      claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    } catch {
      return oauthError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.')
    }
    const now = Math.floor(Date.now() / 1000)
    if (claims.iss !== app.clientId) return checkFederated(app, header, claims, `${h}.${p}`, s, now)

    // A certificate assertion (learn.microsoft.com, certificate credentials).
    const certificate = (app.certificates ?? [])
      .map(pem => new X509Certificate(pem))
      .find(c => b64u(createHash('sha256').update(c.raw).digest()) === header['x5t#S256'])
    if (!certificate) {
      return oauthError(
        401,
        'invalid_client',
        700027,
        `Client assertion failed signature validation. Trace ID: - [Reason - The key was not found., Thumbprint of key used by client: '${header['x5t#S256']}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`
      )
    }
    const pss = {
      key: certificate.publicKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST
    }
    if (header.alg !== 'PS256' || !verify('sha256', Buffer.from(`${h}.${p}`), pss, Buffer.from(s, 'base64url'))) {
      return oauthError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.')
    }
    if (claims.sub !== claims.iss)
      return oauthError(401, 'invalid_client', 50048, 'Subject mismatches Issuer claim in the client assertion.')
    if (claims.aud !== tokenUrl)
      return oauthError(401, 'invalid_client', 700212, `No matching audience found for presented assertion audience '${claims.aud}'.`)
    if (!(claims.nbf <= now + 300 && now < claims.exp && claims.exp - claims.nbf <= 3600)) {
      return oauthError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.')
    }
    // A certificate assertion may be sent more than once while it is valid: MSAL Node keeps the one
    // it signed until it expires (ClientAssertion.getJwt), and Entra ID takes it again; so does
    // every later step that reads the action's assertion file ('azure-credentials').
    return undefined
  }

  function checkFederated(app, header, claims, input, signature, now) {
    const signed = key => verify('sha256', Buffer.from(input), key, Buffer.from(signature ?? '', 'base64url'))
    if (header.alg !== 'RS256' || !trustedKeys.some(signed)) {
      return oauthError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.')
    }
    if (!(claims.nbf <= now && now < claims.exp))
      return oauthError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.')
    const federated = app.federated ?? []
    if (federated.length === 0)
      return oauthError(401, 'invalid_client', 70021, 'No matching federated identity record found for presented assertion.')
    const noRecordFor = (code, claim, value) =>
      oauthError(401, 'invalid_client', code, `No matching federated identity record found for presented assertion ${claim} '${value}'.`)
    const byIssuer = federated.filter(f => f.issuer === claims.iss)
    if (byIssuer.length === 0) return noRecordFor(700211, 'issuer', claims.iss)
    const byAudience = byIssuer.filter(f => f.audience === claims.aud)
    if (byAudience.length === 0) return noRecordFor(700212, 'audience', claims.aud)
    if (byAudience.some(f => f.subject === claims.sub)) return undefined
    if (byAudience.some(f => f.subject.toLowerCase() === claims.sub.toLowerCase())) {
      return oauthError(
        401,
        'invalid_client',
        7002138,
        `No matching federated identity record found for presented assertion subject '${claims.sub}'; a record matches when case is ignored.`
      )
    }
    return oauthError(
      401,
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${claims.sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`
    )
  }

  await new Promise(resolve => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    /** What the runner sets when the job has `permissions: id-token: write`. */
    idTokenRequestUrl: `https://127.0.0.1:${port}/_services/idtoken?api-version=2.0`,
    requests,
    issued,
    /** Signs claims as Entra ID signs its tokens (the managed identity endpoint's tokens). */
    signToken: claims => signJwt(claims, signingKey.privateKey, 'RS256'),
    /** A service-account token of a Kubernetes cluster whose OIDC issuer the simulator trusts. */
    signClusterToken: claims => signJwt(claims, clusterKey.privateKey, 'RS256'),
    /**
     * Makes the next requests of a route fail: [{ status, body, contentType, headers } | { reset: true } |
     * { hang: true } | { respond(req, res, body) }].
     */
    inject(route, ...list) {
      faults[route].push(...list)
    },
    reset() {
      requests.length = 0
      faults.token.length = 0
      faults.idtoken.length = 0
      faults.discovery.length = 0
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

function signJwt(claims, key, alg) {
  const input = `${b64u(JSON.stringify({ alg, typ: 'JWT', kid: 'simulator' }))}.${b64u(JSON.stringify(claims))}`
  return `${input}.${b64u(sign('sha256', Buffer.from(input), key))}`
}

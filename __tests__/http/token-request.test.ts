import { afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import { run } from '../../src/run.js'
import { USER_AGENT } from '../../src/version.js'
import { createClientCertificate } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { CLIENT, fakeIo, fakeJwt, SECRET, START, TENANT } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'

const LOGIN = 'https://login.microsoftonline.com'
const PATH = `/${TENANT}/oauth2/v2.0/token`
const TOKEN = fakeJwt({ tid: TENANT, roles: ['User.Read.All'], appid: CLIENT, app_displayname: 'Release bot' })
const OK = { token_type: 'Bearer', expires_in: 4521, ext_expires_in: 4521, access_token: TOKEN }

type Recorded = { headers: Record<string, string | string[] | undefined>; body: Record<string, string> }

/** Replies in turn with the given [status, body, headers] and records each request. */
function tokenEndpoint(...replies: [number, unknown, Record<string, string>?][]) {
  const seen: Recorded[] = []
  const scope = nock(LOGIN)
  for (const [status, body, headers] of replies) {
    scope.post(PATH).reply(function (_uri, requestBody) {
      seen.push({ headers: this.req.headers, body: Object.fromEntries(new URLSearchParams(requestBody as string)) })
      return [
        status,
        typeof body === 'string' ? body : JSON.stringify(body),
        { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers }
      ]
    })
  }
  return { scope, seen }
}

function io(inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return fakeIo({ 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, ...inputs }, { env, http: createHttp(USER_AGENT) })
}

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error = await promise.catch(e => e)
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

afterEach(() => {
  // Cleared first: a test that failed must not leave its mocks to fail the tests after it.
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})

describe('the token request', () => {
  it('is one form POST with exactly client_id, client_secret, grant_type and scope, and the diagnostic headers', async () => {
    const { seen } = tokenEndpoint([200, OK])
    const fake = io()
    await run(fake)
    expect(seen).toHaveLength(1)
    expect(seen[0].body).toEqual({
      client_id: CLIENT,
      client_secret: SECRET,
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default'
    })
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
      accept: 'application/json',
      'user-agent': expect.stringMatching(/^graph-token-action\/\d+\.\d+\.\d+/),
      'client-request-id': expect.stringMatching(/^00000000-0000-4000-8000-/),
      'return-client-request-id': 'true'
    })
    expect(JSON.stringify(seen[0].headers)).not.toContain(SECRET)
  })

  it('masks the secret first and the token before any output, and writes the outputs', async () => {
    tokenEndpoint([200, OK])
    const fake = io()
    await run(fake)
    // The secret as it is and as the form body spells it (~ is %7E), then the token.
    expect(fake.masks).toEqual([SECRET, SECRET.replace('~', '%7E'), TOKEN])
    expect(fake.outputs).toEqual({
      token: TOKEN,
      'expires-in': '4521',
      'expires-on': new Date(START + 4521_000).toISOString().replace('.000Z', 'Z'),
      'tenant-id': TENANT,
      roles: 'User.Read.All'
    })
    expect(fake.logs.filter(l => l.level === 'info')).toEqual([
      {
        level: 'info',
        message: `Got a token for app 'Release bot' (${CLIENT}) in tenant ${TENANT}, scope https://graph.microsoft.com/.default, roles: User.Read.All; it expires at ${new Date(START + 4521_000).toISOString().replace('.000Z', 'Z')} (in 75 min).`
      }
    ])
    expect(fake.printed()).not.toContain(TOKEN)
    expect(fake.printed()).not.toContain(SECRET)
  })

  it('goes to the cloud and tenant domain given, with the scope given', async () => {
    const scope = nock('https://login.microsoftonline.us')
      .post('/contoso.onmicrosoft.us/oauth2/v2.0/token', {
        client_id: CLIENT,
        client_secret: SECRET,
        grant_type: 'client_credentials',
        scope: 'https://dod-graph.microsoft.us/.default'
      })
      .reply(200, OK)
    await run(io({ cloud: 'usgov-dod', 'tenant-id': 'contoso.onmicrosoft.us' }))
    expect(scope.isDone()).toBe(true)
  })
})

describe('retries', () => {
  it('retries 503 twice, then succeeds', async () => {
    const { seen } = tokenEndpoint([503, '<html>busy</html>'], [503, '<html>busy</html>'], [200, OK])
    const fake = io()
    await run(fake)
    expect(seen).toHaveLength(3)
    expect(new Set(seen.map(s => s.headers['client-request-id'])).size).toBe(3)
    expect(fake.outputs.token).toBe(TOKEN)
  })

  it('waits as long as Retry-After says on 429', async () => {
    tokenEndpoint([429, entraError(50196, 'temporarily_unavailable', 'Throttled'), { 'retry-after': '2' }], [200, OK])
    const fake = io()
    await run(fake)
    expect(fake.sleeps).toEqual([2000])
  })

  it('retries a reset connection', async () => {
    nock(LOGIN)
      .post(PATH)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    tokenEndpoint([200, OK])
    const fake = io()
    await run(fake)
    expect(fake.outputs.token).toBe(TOKEN)
    expect(fake.logs.map(l => l.message)).toContain(
      'token request: attempt 1 of 4 failed: Could not reach login.microsoftonline.com: socket hang up (ECONNRESET).'
    )
  })

  it('retries a transient AADSTS code even on a 400', async () => {
    const { seen } = tokenEndpoint([400, entraError(90033, 'temporarily_unavailable', 'A transient error has occurred.')], [200, OK])
    await run(io())
    expect(seen).toHaveLength(2)
  })

  it('never retries invalid_client: exactly one request, explained', async () => {
    const { seen } = tokenEndpoint([401, entraError(7000215, 'invalid_client', 'Invalid client secret provided.')])
    const error = await failure(run(io()))
    expect(seen).toHaveLength(1)
    expect(error.input).toBe('client-secret')
    expect(error.render()).toMatch(/^Entra ID refused the token request \(AADSTS7000215, HTTP 401\): The client secret is wrong\./)
    expect(error.render()).toContain(`client-request-id: ${seen[0].headers['client-request-id']}`)
  })

  it('gives up at max-attempts on 500 forever, naming the status', async () => {
    const { seen } = tokenEndpoint([500, '<html>oops</html>'], [500, '<html>oops</html>'], [500, '<html>oops</html>'])
    const error = await failure(run(io({ 'max-attempts': '3' })))
    expect(seen).toHaveLength(3)
    expect(error.message).toMatch(
      /^Gave up after 3 attempts\. The last one: The token endpoint at login\.microsoftonline\.com answered HTTP 500 with 17 bytes of text\/html\./
    )
  })

  it('does not follow a redirect with the secret', async () => {
    nock(LOGIN).post(PATH).reply(302, '', { location: 'https://evil.example/steal' })
    const error = await failure(run(io()))
    expect(error.message).toMatch(/answered HTTP 302/)
  })
})

describe('unexpected answers', () => {
  it('a 200 with HTML fails clearly, with status and content type', async () => {
    tokenEndpoint([200, '<html>captive portal</html>'])
    const error = await failure(run(io()))
    expect(error.code).toBe('bad-response')
    expect(error.message).toBe('The token endpoint answered HTTP 200 with a body that is not JSON (27 bytes of text/html).')
  })

  it('a 200 without access_token fails clearly, naming the fields it had', async () => {
    tokenEndpoint([200, { token_type: 'Bearer', expires_in: 3599 }])
    const error = await failure(run(io()))
    expect(error.message).toMatch(/HTTP 200 with JSON without an access_token \(fields: token_type, expires_in\)/)
  })

  it('a 404 points at authority-host and tenant-id', async () => {
    nock('https://login.example.net').post(PATH).reply(404, 'Not Found', { 'content-type': 'text/plain' })
    const error = await failure(run(io({ 'authority-host': 'https://login.example.net' })))
    expect(error.render()).toMatch(/HTTP 404 .* Check 'authority-host' and 'tenant-id'/)
  })
})

describe('required roles', () => {
  it('fails without writing the token when a required permission is missing', async () => {
    tokenEndpoint([200, OK])
    const fake = io({ 'required-roles': 'User.Read.All, Group.Read.All' })
    const error = await failure(run(fake))
    expect(error.code).toBe('missing-roles')
    expect(error.message).toMatch(/lacks a required permission: Group.Read.All/)
    expect(fake.outputs).toEqual({})
  })

  it('warns when a Graph token has no roles, and writes the job summary without the token', async () => {
    tokenEndpoint([200, { ...OK, access_token: fakeJwt({ tid: TENANT, appid: CLIENT }) }])
    const fake = io({ 'job-summary': 'true' })
    await run(fake)
    expect(fake.logs.filter(l => l.level === 'warning').map(l => l.message)).toEqual([expect.stringMatching(/no roles/)])
    expect(fake.outputs.roles).toBe('')
    expect(fake.summaries).toHaveLength(1)
    expect(fake.summaries[0]).toContain('| Roles | - |')
  })
})

describe('certificate credential', () => {
  let pem: string
  beforeAll(() => {
    const dir = makeTempDir('cert-http-')
    try {
      pem = createClientCertificate(dir, 'http', { now: START }).pem
    } finally {
      removeTempDir(dir)
    }
  })

  it('posts a client assertion and no secret, a new one on every attempt', async () => {
    const { seen } = tokenEndpoint([503, '<html/>'], [200, OK])
    const fake = io({ 'client-secret': '', 'client-certificate': pem })
    await run(fake)
    expect(seen).toHaveLength(2)
    for (const { body } of seen) {
      expect(Object.keys(body).sort()).toEqual(['client_assertion', 'client_assertion_type', 'client_id', 'grant_type', 'scope'])
      expect(body.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    }
    expect(seen[0].body.client_assertion).not.toBe(seen[1].body.client_assertion)
    expect(fake.masks).toEqual(expect.arrayContaining([seen[0].body.client_assertion, seen[1].body.client_assertion]))
  })
})

function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())
}

describe('GitHub OIDC credential', () => {
  const env = {
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.example/idtoken/abc?api-version=2.0',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-xyz'
  }
  const idToken = (n: number) =>
    fakeJwt({
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      aud: 'api://AzureADTokenExchange',
      n
    })

  function idTokenEndpoint(...replies: [number, unknown][]) {
    const seen: Record<string, string | string[] | undefined>[] = []
    const scope = nock('https://pipelines.actions.example')
    for (const [status, body] of replies) {
      scope
        .get('/idtoken/abc')
        .query({ 'api-version': '2.0', audience: 'api://AzureADTokenExchange' })
        .reply(function () {
          seen.push(this.req.headers)
          return [status, JSON.stringify(body), { 'content-type': 'application/json' }]
        })
    }
    return seen
  }

  it('asks GitHub for an ID token with the audience, then posts it as the client assertion', async () => {
    const idSeen = idTokenEndpoint([200, { value: idToken(1) }])
    const { seen } = tokenEndpoint([200, OK])
    const fake = io({ 'client-secret': '' }, env)
    await run(fake)
    expect(idSeen[0].authorization).toBe('Bearer request-token-xyz')
    expect(seen[0].body).toEqual({
      client_id: CLIENT,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: idToken(1)
    })
    expect(fake.masks).toEqual(['request-token-xyz', idToken(1), TOKEN])
  })

  it('retries a 500 from GitHub, and fetches an ID token without exp again for every exchange attempt', async () => {
    idTokenEndpoint([500, { message: 'oops' }], [200, { value: idToken(1) }], [200, { value: idToken(2) }])
    const { seen } = tokenEndpoint([503, '<html/>'], [200, OK])
    await run(io({ 'client-secret': '' }, env))
    expect(seen.map(s => s.body.client_assertion)).toEqual([idToken(1), idToken(2)])
  })

  describe("'max-attempts' bounds the ID-token requests and the token requests each, over the whole run", () => {
    // GitHub's ID tokens carry exp (docs.github.com, "OpenID Connect reference": about five minutes).
    const expiring = (n: number) => fakeJwt({ ...decodePayload(idToken(n)), exp: Math.floor(START / 1000) + 300 })
    const busy = [503, { message: 'Service Unavailable' }] as [number, unknown]
    const unavailable = [503, '<html>busy</html>'] as [number, unknown]

    it('an ID-token endpoint failing 3 times: 4 ID-token requests, 1 token request', async () => {
      const idSeen = idTokenEndpoint(busy, busy, busy, [200, { value: expiring(1) }])
      const { seen } = tokenEndpoint([200, OK])
      const fake = io({ 'client-secret': '', 'max-attempts': '4' }, env)
      await run(fake)
      expect([idSeen.length, seen.length]).toEqual([4, 1])
      expect(fake.outputs.token).toBe(TOKEN)
    })

    it('a token endpoint failing 3 times: 1 ID-token request, whose token is sent 4 times', async () => {
      const idSeen = idTokenEndpoint([200, { value: expiring(1) }])
      const { seen } = tokenEndpoint(unavailable, unavailable, unavailable, [200, OK])
      const fake = io({ 'client-secret': '', 'max-attempts': '4' }, env)
      await run(fake)
      expect([idSeen.length, seen.length]).toEqual([1, 4])
      expect(seen.map(s => s.body.client_assertion)).toEqual(Array(4).fill(expiring(1)))
      expect(fake.outputs.token).toBe(TOKEN)
    })

    it('both failing 3 times: 4 requests of each kind, then the token', async () => {
      const idSeen = idTokenEndpoint(busy, busy, busy, [200, { value: expiring(1) }])
      const { seen } = tokenEndpoint(unavailable, unavailable, unavailable, [200, OK])
      const fake = io({ 'client-secret': '', 'max-attempts': '4' }, env)
      await run(fake)
      expect([idSeen.length, seen.length]).toEqual([4, 4])
      expect(fake.outputs.token).toBe(TOKEN)
    })

    it('an ID-token endpoint failing for good: 4 requests, then it gives up', async () => {
      const idSeen = idTokenEndpoint(busy, busy, busy, busy)
      const error = await failure(run(io({ 'client-secret': '', 'max-attempts': '4' }, env)))
      expect(idSeen).toHaveLength(4)
      expect(error.message).toMatch(/^Gave up after 4 attempts\. The last one: GitHub did not give an ID token: HTTP 503\./)
    })

    it('an ID token about to expire is fetched again, still within the 4 ID-token requests', async () => {
      // Without exp (or with under two minutes left) every exchange attempt needs a new ID token:
      // 3 failures take 3 of the 4, so the second exchange attempt has none left and the run stops.
      const idSeen = idTokenEndpoint(busy, busy, busy, [200, { value: idToken(1) }])
      const { seen } = tokenEndpoint(unavailable)
      const error = await failure(run(io({ 'client-secret': '', 'max-attempts': '4' }, env)))
      expect([idSeen.length, seen.length]).toEqual([4, 1])
      expect(error.message).toContain("GitHub ID token request: all 4 attempts that 'max-attempts' allows were used already.")
      expect(error.input).toBe('max-attempts')
    })

    it('a managed identity as the credential: IMDS and the token endpoint failing 3 times each, 4 requests of each kind', async () => {
      // The IMDS answer of learn.microsoft.com "How to use managed identities for Azure resources
      // on an Azure VM to acquire an access token"; IMDS error handling lists 5xx as retriable.
      const imdsSeen: unknown[] = []
      const exchangeToken = fakeJwt({ tid: TENANT, oid: '4d5e6f70-1111-2222-3333-444455556666', exp: Math.floor(START / 1000) + 86_399 })
      const imds = nock('http://169.254.169.254').get('/metadata/identity/oauth2/token').query(true)
      const reply = (status: number, body: unknown) => () => (imdsSeen.push(status), [status, body] as [number, unknown])
      imds.times(3).reply(reply(500, { error: 'unknown', error_description: 'Internal error' }))
      nock('http://169.254.169.254')
        .get('/metadata/identity/oauth2/token')
        .query(true)
        .reply(
          reply(200, {
            access_token: exchangeToken,
            client_id: 'b1c2d3e4-0000-1111-2222-333344445555',
            expires_in: '86399',
            expires_on: String(Math.floor(START / 1000) + 86_399),
            ext_expires_in: '86399',
            not_before: String(Math.floor(START / 1000)),
            resource: 'api://AzureADTokenExchange',
            token_type: 'Bearer'
          })
        )
      const { seen } = tokenEndpoint(unavailable, unavailable, unavailable, [200, OK])
      const fake = io({ 'client-secret': '', 'managed-identity': 'b1c2d3e4-0000-1111-2222-333344445555', 'max-attempts': '4' })
      await run(fake)
      expect([imdsSeen.length, seen.length]).toEqual([4, 4])
      expect(new Set(seen.map(s => s.body.client_assertion))).toEqual(new Set([exchangeToken]))
      expect(fake.outputs.token).toBe(TOKEN)
    })
  })

  it('refuses an ID token too short to be real, and never masks it', async () => {
    idTokenEndpoint([200, { value: 'a.b.c' }])
    const fake = io({ 'client-secret': '', 'max-attempts': '1' }, env)
    const error = await failure(run(fake))
    expect(error.message).toBe('GitHub did not give an ID token: HTTP 200 without a JWT in value.')
    expect(fake.masks).toEqual(['request-token-xyz'])
  })

  it('explains a subject mismatch with the claims presented and a matching federated credential', async () => {
    idTokenEndpoint([200, { value: idToken(1) }])
    tokenEndpoint([
      401,
      entraError(
        700213,
        'invalid_client',
        "No matching federated identity record found for presented assertion subject 'repo:octo-org/octo-repo:ref:refs/heads/main'."
      )
    ])
    const error = await failure(run(io({ 'client-secret': '' }, env)))
    const text = error.render()
    expect(text).toContain('subject  (sub): repo:octo-org/octo-repo:ref:refs/heads/main  <- differs')
    expect(text).toContain('issuer   (iss): https://token.actions.githubusercontent.com\n')
    expect(text).toContain(
      `az ad app federated-credential create --id ${CLIENT} --parameters '{"name":"github-repo-octo-org-octo-repo-ref-refs-heads-main","issuer":"https://token.actions.githubusercontent.com","subject":"repo:octo-org/octo-repo:ref:refs/heads/main","audiences":["api://AzureADTokenExchange"]}'`
    )
    expect(text).toMatch(/environment:NAME/)
    expect(text).toMatch(/pull_request \(underscore\)/)
    expect(text).toMatch(/immutable form repo:OWNER@OWNER_ID\/REPO@REPO_ID/)
    expect(text).not.toContain(idToken(1))
  })
})

describe('bad input', () => {
  it('makes no request at all', async () => {
    // disableNetConnect is on and no interceptor is defined: any request would fail differently.
    const error = await run(io({ 'tenant-id': 'common' })).catch(e => e)
    expect(error.name).toBe('InputErrors')
  })
})

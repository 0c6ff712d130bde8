import { afterEach, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import { run } from '../../src/run.js'
import { readArcChallenge } from '../../src/token-sources/managed-identity.js'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { USER_AGENT } from '../../src/version.js'
import { CLIENT, fakeIo, fakeJwt, START, TENANT } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'
import { appServiceAnswer, imdsAnswer } from '../fixtures/managed-identity.mjs'
import { itExceptOn } from '../helpers/platform.js'

// The request shapes of learn.microsoft.com "How to use managed identities for Azure resources on
// an Azure VM to acquire an access token" (IMDS) and "Managed identities for App Service and Azure
// Functions" (IDENTITY_ENDPOINT), and of a managed identity as an app's federated credential.
const IMDS = 'http://169.254.169.254'
const USER_ASSIGNED = 'b1c2d3e4-0000-1111-2222-333344445555'
const RESOURCE_ID =
  '/subscriptions/0c1d2e3f-0000-1111-2222-333344445555/resourceGroups/runners/providers/Microsoft.ManagedIdentity/userAssignedIdentities/runner-id'
const OBJECT_ID = '4d5e6f70-1111-2222-3333-444455556666'
const MI_TOKEN = fakeJwt({ tid: TENANT, oid: OBJECT_ID, appid: USER_ASSIGNED, roles: ['User.Read.All'] })
const EXPIRES_ON = Math.floor(START / 1000) + 86_399
// The documented answers (__tests__/fixtures/managed-identity.mjs), with a managed identity token's day.
const MI_OK = imdsAnswer(MI_TOKEN, 'https://graph.microsoft.com', Math.floor(START / 1000), 86_399)
const APP_SERVICE_OK = appServiceAnswer(MI_TOKEN, 'https://graph.microsoft.com', Math.floor(START / 1000), 86_399)

function io(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return fakeIo({ 'max-attempts': '4', 'timeout-seconds': '60', ...inputs }, { env, http: createHttp(USER_AGENT) })
}

afterEach(() => {
  // Cleared first: a test that failed must not leave its mocks to fail the tests after it.
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})

describe("a managed identity's own token", () => {
  it.each([
    ['system', { 'api-version': '2018-02-01', resource: 'https://graph.microsoft.com' }],
    [USER_ASSIGNED, { 'api-version': '2018-02-01', resource: 'https://graph.microsoft.com', client_id: USER_ASSIGNED }],
    [RESOURCE_ID, { 'api-version': '2018-02-01', resource: 'https://graph.microsoft.com', msi_res_id: RESOURCE_ID }],
    // MSAL Node's name for IMDS (ManagedIdentityUserAssignedIdQueryParameterNames.MANAGED_IDENTITY_OBJECT_ID).
    [`object-id:${OBJECT_ID}`, { 'api-version': '2018-02-01', resource: 'https://graph.microsoft.com', object_id: OBJECT_ID }]
  ])("'managed-identity' %s: one GET to IMDS with Metadata: true, and the outputs", async (identity, query) => {
    const headers: Record<string, unknown>[] = []
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(query)
      .reply(function () {
        headers.push(this.req.headers)
        return [200, MI_OK]
      })
    const fake = io({ 'managed-identity': identity })
    await run(fake)
    expect(headers[0]).toMatchObject({ metadata: 'true' })
    expect(fake.masks).toEqual([MI_TOKEN])
    expect(fake.outputs).toEqual({
      token: MI_TOKEN,
      'expires-in': '86399',
      'expires-on': new Date(EXPIRES_ON * 1000).toISOString().replace('.000', ''),
      'tenant-id': TENANT,
      roles: 'User.Read.All'
    })
    expect(fake.logs.find(l => l.level === 'info')?.message).toMatch(
      new RegExp(`^Got a token for managed identity ${USER_ASSIGNED} in tenant ${TENANT}`)
    )
  })

  it('asks for the resource of a scope, without /.default', async () => {
    const scope = nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/' })
      .reply(200, MI_OK)
    await run(io({ 'managed-identity': 'system', scope: 'https://management.azure.com//.default' }))
    expect(scope.isDone()).toBe(true)
  })

  it.each([
    [USER_ASSIGNED, { client_id: USER_ASSIGNED }],
    [RESOURCE_ID, { mi_res_id: RESOURCE_ID }],
    [`object-id:${OBJECT_ID}`, { object_id: OBJECT_ID }]
  ])('goes to IDENTITY_ENDPOINT with X-IDENTITY-HEADER (App Service, Container Apps) for %s', async (identity, extra) => {
    const headers: Record<string, unknown>[] = []
    nock('http://localhost:42356')
      .get('/msi/token')
      .query({ 'api-version': '2019-08-01', resource: 'https://graph.microsoft.com', ...extra })
      .reply(function () {
        headers.push(this.req.headers)
        return [200, APP_SERVICE_OK]
      })
    const fake = io(
      { 'managed-identity': identity },
      { IDENTITY_ENDPOINT: 'http://localhost:42356/msi/token', IDENTITY_HEADER: 'identity-header-secret' }
    )
    await run(fake)
    expect(headers[0]).toMatchObject({ 'x-identity-header': 'identity-header-secret' })
    expect(headers[0]).not.toHaveProperty('metadata')
    expect(fake.masks).toEqual(['identity-header-secret', MI_TOKEN])
  })

  it("takes App Service's documented answer, expires_on alone, at Linux App Service's link-local IDENTITY_ENDPOINT", async () => {
    expect(APP_SERVICE_OK).not.toHaveProperty('expires_in')
    const scope = nock('http://169.254.129.3:8081')
      .get('/msi/token')
      .query({ 'api-version': '2019-08-01', resource: 'https://graph.microsoft.com' })
      .reply(200, APP_SERVICE_OK)
    const fake = io(
      { 'managed-identity': 'system' },
      { IDENTITY_ENDPOINT: 'http://169.254.129.3:8081/msi/token', IDENTITY_HEADER: 'identity-header-secret' }
    )
    await run(fake)
    expect(scope.isDone()).toBe(true)
    expect(fake.outputs).toMatchObject({
      token: MI_TOKEN,
      'expires-in': '86399',
      'expires-on': new Date(EXPIRES_ON * 1000).toISOString().replace('.000', '')
    })
  })

  it("takes IMDS's documented answer (every value a string, an empty refresh_token)", async () => {
    const now = Math.floor(START / 1000)
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .reply(200, imdsAnswer(MI_TOKEN, 'https://graph.microsoft.com', now))
    const fake = io({ 'managed-identity': 'system' })
    await run(fake)
    expect(fake.outputs).toMatchObject({ token: MI_TOKEN, 'expires-in': '3599' })
  })

  it('retries 410, 404, 429 and 5xx, as IMDS asks', async () => {
    const imds = () => nock(IMDS).get('/metadata/identity/oauth2/token').query(true)
    for (const status of [410, 404, 429, 503]) imds().reply(status, { error: 'busy' })
    imds().reply(200, MI_OK)
    const fake = io({ 'managed-identity': 'system', 'max-attempts': '5' })
    await run(fake)
    expect(fake.sleeps).toHaveLength(4)
    expect(fake.outputs.token).toBe(MI_TOKEN)
  })

  // Learn: IMDS answers 410 while it updates, back within 70 s; MSAL asks again every 10 s, 7 times.
  it('waits out an IMDS that answers 410 for 70 s, with the default inputs, and gets the token', async () => {
    const fake = fakeIo({ 'managed-identity': 'system' }, { http: createHttp(USER_AGENT) })
    const askedAt: number[] = []
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .times(9)
      .reply(() => {
        askedAt.push(fake.now() - START)
        return fake.now() - START <= 70_000 ? [410, 'Gone'] : [200, MI_OK]
      })
    await run(fake)
    expect(fake.outputs.token).toBe(MI_TOKEN)
    // Every 10 s up to 70 s, none of them counted against max-attempts (4); then one back-off.
    expect(askedAt).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 70_750])
    expect(fake.logs.filter(l => /does not count against 'max-attempts'/.test(l.message))).toHaveLength(7)
  })

  it('stops waiting out 410 at an explicit, shorter deadline, naming timeout-seconds', async () => {
    nock(IMDS).get('/metadata/identity/oauth2/token').query(true).times(3).reply(410, 'Gone')
    const fake = io({ 'managed-identity': 'system', 'timeout-seconds': '25' })
    const error: ActionError = await run(fake).catch(e => e)
    expect(error.message).toMatch(
      /^Stopped after 3 attempts: the next back-off \(10 s\) would pass the 25 s deadline\. The last one: The managed identity endpoint refused the token request \(HTTP 410\)/
    )
  })

  it('counts 410 from IDENTITY_ENDPOINT against max-attempts like any transient failure (only IMDS is waited out)', async () => {
    nock('http://localhost:42356').get('/msi/token').query(true).times(4).reply(410, { statusCode: 410, message: 'Gone' })
    const fake = io(
      { 'managed-identity': 'system' },
      { IDENTITY_ENDPOINT: 'http://localhost:42356/msi/token', IDENTITY_HEADER: 'identity-header-secret' }
    )
    const error: ActionError = await run(fake).catch(e => e)
    expect(error.message).toMatch(/^Gave up after 4 attempts\./)
  })

  it.each([400, 401, 403])('does not retry %s', async status => {
    nock(IMDS).get('/metadata/identity/oauth2/token').query(true).reply(status, { error: 'invalid_request', error_description: 'Bad' })
    const error = await run(io({ 'managed-identity': 'system' })).catch(e => e)
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toMatch(new RegExp(`^The managed identity endpoint refused the token request \\(HTTP ${status}\\)`))
  })

  it('blames the Azure Arc agent, not IMDS, for a refused Arc answer', async () => {
    nock('http://localhost:40342')
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .reply(403, { error: 'forbidden', error_description: 'No' })
    const error: ActionError = await run(
      io(
        { 'managed-identity': 'system' },
        { IDENTITY_ENDPOINT: 'http://localhost:40342/metadata/identity/oauth2/token', IMDS_ENDPOINT: 'http://localhost:40342' }
      )
    ).catch(e => e)
    expect(error.render()).toMatch(
      /^The managed identity endpoint refused the token request \(HTTP 403\): forbidden: No The Azure Connected Machine agent refused the request/
    )
    expect(error.render()).not.toMatch(/IMDS refused|instance metadata|169\.254/)
  })

  it("explains 'Identity not found' for a user-assigned identity: assign it, or fix the input", async () => {
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .reply(400, { error: 'invalid_request', error_description: 'Identity not found' })
    const error: ActionError = await run(io({ 'managed-identity': USER_ASSIGNED })).catch(e => e)
    expect(error.input).toBe('managed-identity')
    expect(error.render()).toMatch(
      /this machine has no such identity\. No user-assigned identity with this client ID is assigned to this machine/
    )
    expect(error.render()).toMatch(/az vm identity assign -g RG -n VM --identities/)
    expect(error.render()).toMatch(/az vmss identity assign/)
  })

  it('says how to enable a system-assigned identity when there is none', async () => {
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .reply(400, { error: 'invalid_request', error_description: 'Identity not found' })
    const error: ActionError = await run(io({ 'managed-identity': 'system' })).catch(e => e)
    expect(error.hint).toMatch(/no system-assigned managed identity: enable one \('az vm identity assign -g RG -n VM'/)
  })

  it('never goes through https_proxy', async () => {
    const scope = nock(IMDS).get('/metadata/identity/oauth2/token').query(true).reply(200, MI_OK)
    await run(io({ 'managed-identity': 'system' }, { https_proxy: 'http://proxy.invalid:3128', http_proxy: 'http://proxy.invalid:3128' }))
    expect(scope.isDone()).toBe(true)
  })
})

describe('a managed identity as the credential of an app registration', () => {
  it("sends the identity's token for api://AzureADTokenExchange as the client assertion", async () => {
    const exchangeToken = fakeJwt({ tid: TENANT, oid: OBJECT_ID, aud: 'fb60f99c-7a34-4190-8149-302f77469936' })
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query({ 'api-version': '2018-02-01', resource: 'api://AzureADTokenExchange', client_id: USER_ASSIGNED })
      .reply(200, { ...MI_OK, access_token: exchangeToken, resource: 'api://AzureADTokenExchange' })
    const appToken = fakeJwt({ tid: TENANT, appid: CLIENT, roles: ['Sites.Read.All'] })
    let form: Record<string, string> = {}
    nock('https://login.microsoftonline.com')
      .post(`/${TENANT}/oauth2/v2.0/token`)
      .reply(function (_uri, body) {
        form = Object.fromEntries(new URLSearchParams(body as string))
        return [200, { token_type: 'Bearer', expires_in: 3599, access_token: appToken }]
      })
    const fake = io({ 'tenant-id': TENANT, 'client-id': CLIENT, 'managed-identity': USER_ASSIGNED })
    await run(fake)
    expect(form).toEqual({
      client_id: CLIENT,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: exchangeToken
    })
    expect(fake.masks).toEqual([exchangeToken, appToken])
    expect(fake.outputs.roles).toBe('Sites.Read.All')
  })

  it("explains a subject mismatch with the identity's object ID and the issuer the federated credential needs", async () => {
    nock(IMDS)
      .get('/metadata/identity/oauth2/token')
      .query(true)
      .reply(200, { ...MI_OK, access_token: fakeJwt({ tid: TENANT, oid: OBJECT_ID }) })
    nock('https://login.microsoftonline.com')
      .post(`/${TENANT}/oauth2/v2.0/token`)
      .reply(401, entraError(700213, 'invalid_client', 'No matching federated identity record found for presented assertion subject.'))
    const error: ActionError = await run(io({ 'tenant-id': TENANT, 'client-id': CLIENT, 'managed-identity': USER_ASSIGNED })).catch(e => e)
    const text = error.render()
    expect(text).toContain(`  issuer   (iss): https://login.microsoftonline.com/${TENANT}/v2.0\n`)
    expect(text).toContain(`  subject  (sub): ${OBJECT_ID}  <- differs`)
    expect(text).toContain('  audience (aud): api://AzureADTokenExchange\n')
    expect(text).toMatch(/object \(principal\) ID, not its client ID/)
    expect(text).toContain(`az ad app federated-credential create --id ${CLIENT} --parameters '{"name":"managed-identity-${OBJECT_ID}"`)
  })
})

describe("Azure Arc's challenge file", () => {
  // MSAL's rule (AzureArc.ts): only a .key file in the agent's folder, at most 4096 bytes.
  const setUp = () => {
    const root = makeTempDir('arc-')
    const tokens = join(root, 'tokens')
    mkdirSync(tokens)
    writeFileSync(join(tokens, 'abc.key'), 'challenge-secret-0123456789\n')
    writeFileSync(join(root, 'outside.key'), 'other-file')
    writeFileSync(join(tokens, 'big.key'), 'x'.repeat(5000))
    writeFileSync(join(tokens, 'notes.txt'), 'x')
    writeFileSync(join(tokens, 'short.key'), 'a\n')
    return { root, tokens }
  }

  it('is read from the agent folder, trimmed', () => {
    const { root, tokens } = setUp()
    try {
      expect(readArcChallenge(`Basic realm=${join(tokens, 'abc.key')}`, tokens)).toBe('challenge-secret-0123456789')
    } finally {
      removeTempDir(root)
    }
  })

  it.each([
    ['a file outside the folder', (t: string) => `Basic realm=${join(t, '..', 'outside.key')}`, /outside the agent's token folder/],
    ['a file that is not a .key', (t: string) => `Basic realm=${join(t, 'notes.txt')}`, /names a file that is not a \.key file \(/],
    ['a file larger than 4096 bytes', (t: string) => `Basic realm=${join(t, 'big.key')}`, /is too large/],
    ['a file that does not exist', (t: string) => `Basic realm=${join(t, 'gone.key')}`, /cannot be read \(ENOENT\)/],
    ['no Basic realm at all', () => 'Bearer x', /has no Basic realm/],
    // Masked, 'a' would blank out every a in the rest of the log.
    [
      'a file too short to be a challenge',
      (t: string) => `Basic realm=${join(t, 'short.key')}`,
      /content is 1 character long, too short to be real/
    ]
  ])('refuses %s, so a server cannot make the action send it any file', (_, header, message) => {
    const { root, tokens } = setUp()
    try {
      expect(() => readArcChallenge(header(tokens), tokens)).toThrow(message)
    } finally {
      removeTempDir(root)
    }
  })

  itExceptOn('win32', 'creating a symbolic link there needs an administrator')(
    'refuses a .key in the folder that links to a file elsewhere, or to one that is not a .key',
    () => {
      const { root, tokens } = setUp()
      try {
        symlinkSync(join(root, 'outside.key'), join(tokens, 'link.key'))
        symlinkSync(join(tokens, 'notes.txt'), join(tokens, 'notes-link.key'))
        expect(() => readArcChallenge(`Basic realm=${join(tokens, 'link.key')}`, tokens)).toThrow(
          "names a link to a file outside the agent's token folder (link.key)"
        )
        expect(() => readArcChallenge(`Basic realm=${join(tokens, 'notes-link.key')}`, tokens)).toThrow(
          'names a link to a file that is not a .key file (notes-link.key)'
        )
      } finally {
        removeTempDir(root)
      }
    }
  )

  itExceptOn('win32', 'creating a symbolic link there needs an administrator')('follows a link to a .key in the folder itself', () => {
    const { root, tokens } = setUp()
    try {
      symlinkSync(join(tokens, 'abc.key'), join(tokens, 'current.key'))
      expect(readArcChallenge(`Basic realm=${join(tokens, 'current.key')}`, tokens)).toBe('challenge-secret-0123456789')
    } finally {
      removeTempDir(root)
    }
  })
})

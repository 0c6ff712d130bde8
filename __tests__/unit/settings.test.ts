import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { InputErrors } from '../../src/errors.js'
import type { RawInputs } from '../../src/inputs.js'
import { parseSettings } from '../../src/settings.js'
import { CLIENT, rawInputs as raw, SECRET, TENANT } from '../helpers/fake-io.js'

/** The runner's request token for the OIDC URL (a JWT, hundreds of characters, in real runs). */
const REQUEST_TOKEN = 'request-token-0123456789abcdef'
/** An IDENTITY_HEADER of the length App Service gives one. */
const HEADER = 'identity-header-0123456789abcdef'

/** The errors parseSettings reports, as [input, message + hint]. */
function errorsFor(overrides: Partial<RawInputs>): [string | undefined, string][] {
  try {
    parseSettings(raw(overrides))
  } catch (error) {
    if (error instanceof InputErrors) return error.errors.map(e => [e.input, e.render()])
    throw error
  }
  throw new Error('expected InputErrors')
}

describe('parseSettings', () => {
  it('applies the defaults of the public cloud', () => {
    const settings = parseSettings(raw())
    expect(settings).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      cloud: 'public',
      authorityHost: 'https://login.microsoftonline.com',
      tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      scope: 'https://graph.microsoft.com/.default',
      source: { kind: 'entra', credential: { kind: 'client-secret', secret: SECRET } },
      notes: [],
      maxAttempts: 4,
      timeoutMs: 60_000,
      requiredRoles: [],
      jobSummary: false
    })
  })

  it.each([
    ['usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us/.default'],
    ['usgov-dod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us/.default'],
    ['china', 'https://login.partner.microsoftonline.cn', 'https://microsoftgraph.chinacloudapi.cn/.default']
  ])('cloud %s picks its login host and Graph scope', (cloud, host, scope) => {
    expect(parseSettings(raw({ cloud }))).toMatchObject({ authorityHost: host, scope })
  })

  it('accepts an upper-case GUID and a domain for tenant-id, and lower-cases them', () => {
    expect(parseSettings(raw({ 'tenant-id': TENANT.toUpperCase() })).tenantId).toBe(TENANT)
    expect(parseSettings(raw({ 'tenant-id': 'Contoso.onmicrosoft.com' })).tenantId).toBe('contoso.onmicrosoft.com')
  })

  it('accepts any resource /.default and an authority-host with a port', () => {
    const settings = parseSettings(raw({ scope: 'https://management.azure.com//.default', 'authority-host': 'https://127.0.0.1:8443' }))
    expect(settings.scope).toBe('https://management.azure.com//.default')
    expect(settings.tokenUrl).toBe(`https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`)
  })

  it('splits required-roles on commas, spaces and new lines', () => {
    expect(parseSettings(raw({ 'required-roles': 'User.Read.All, Group.Read.All\nSites.Read.All  User.Read.All' })).requiredRoles).toEqual([
      'User.Read.All',
      'Group.Read.All',
      'Sites.Read.All'
    ])
  })

  it.each([
    // Role values as Learn's "appRole resource type" allows them: every listed character, and 120 at most.
    ["Tasks.Read!#$%&'()*+-./:<=>?@[]^_`{|}~", ["Tasks.Read!#$%&'()*+-./:<=>?@[]^_`{|}~"]],
    ['x'.repeat(120), ['x'.repeat(120)]],
    ['\tUser.Read.All,,\r\n Group.Read.All ,', ['User.Read.All', 'Group.Read.All']]
  ])('accepts the role names an app role can have in required-roles: %j', (value, roles) => {
    expect(parseSettings(raw({ 'required-roles': value })).requiredRoles).toEqual(roles)
  })

  const separators = 'separate them with commas, spaces or new lines, e.g. User.Read.All, Group.Read.All.'
  it.each([
    ['User.Read.All;Group.Read.All', "'required-roles' has 'User.Read.All;Group.Read.All', but ';' does not separate permissions."],
    ['User.Read.All; Group.Read.All', "'required-roles' has 'User.Read.All;', but ';' does not separate permissions."],
    ['"User.Read.All"', `'required-roles' has '\\"User.Read.All\\"', with a character no app role's value has`],
    ['User.Read.All\u201d', "'required-roles' has 'User.Read.All\u201d', with a character no app role's value has"],
    ['Usеr.Read.All', "'required-roles' has 'Usеr.Read.All', with a character no app role's value has"],
    ['.hidden', "'required-roles' has '.hidden', which starts with '.'; no app role's value does."],
    ['x'.repeat(121), "'required-roles' has a name of 121 characters"]
  ])('refuses required-roles %j before any request, naming the separators that work', (value, message) => {
    const errors = errorsFor({ 'required-roles': value })
    expect(errors).toHaveLength(1)
    expect(errors[0][0]).toBe('required-roles')
    expect(errors[0][1].startsWith(message)).toBe(true)
    expect(errors[0][1]).toContain(separators)
    expect(errors[0][1].split('\n')).toHaveLength(1)
  })

  it.each([
    ['', /'tenant-id' is empty/],
    ['common', /'tenant-id' is 'common', which does not name a tenant.*one tenant/],
    ['organizations', /does not name a tenant/],
    ['Consumers', /does not name a tenant/],
    ['contoso.onmicrosoft.com/evil', /not a GUID or a domain name/],
    ['tenant?x=1', /not a GUID or a domain name/],
    ['tenant#x', /not a GUID or a domain name/],
    ['%2e%2e', /not a GUID or a domain name/],
    ['..', /not a GUID or a domain name/],
    ['a..b.com', /not a GUID or a domain name/],
    ['my tenant', /not a GUID or a domain name/],
    ['72f988bf-86f1-41af-91ab-2d7cd011db4', /not a GUID or a domain name/]
  ])("rejects tenant-id '%s'", (value, message) => {
    const errors = errorsFor({ 'tenant-id': value })
    expect(errors).toHaveLength(1)
    expect(errors[0][0]).toBe('tenant-id')
    expect(errors[0][1]).toMatch(message)
  })

  it.each(['', 'my-app', '00001111-aaaa-2222-bbbb-3333cccc444g', '{00001111-aaaa-2222-bbbb-3333cccc4444}'])(
    "rejects client-id '%s'",
    value => {
      const [[input, message]] = errorsFor({ 'client-id': value })
      expect(input).toBe('client-id')
      expect(message).toMatch(/Application \(client\) ID/)
    }
  )

  it('rejects a scope without /.default, explaining app-only tokens', () => {
    const [[input, message]] = errorsFor({ scope: 'User.Read.All' })
    expect(input).toBe('scope')
    expect(message).toMatch(/resource's \/\.default.*application permissions with admin consent on the app registration/)
  })

  it('rejects two scopes', () => {
    expect(errorsFor({ scope: 'https://graph.microsoft.com/.default https://vault.azure.net/.default' })[0][1]).toMatch(
      /more than one scope/
    )
  })

  it('rejects an unknown cloud, listing the valid ones', () => {
    expect(errorsFor({ cloud: 'germany' })[0][1]).toMatch(/Use one of: public, usgov, usgov-dod, china/)
  })

  it.each([
    ['http://login.example.net', /must use https/],
    ['login.example.net', /must use https|not a URL/],
    ['https://user:pw@login.example.net', /must not contain credentials/],
    ['https://login.example.net/tenant', /must not have a path/],
    ['https://login.example.net?x=1', /must not have a query/],
    ['https://login.example.net#x', /must not have a fragment/],
    ['https://lоgin.microsoftonline.com', /outside plain ASCII.*look-alike/],
    ['https://bücher.example', /outside plain ASCII/],
    ['https://login.example.net\u200b', /outside plain ASCII/]
  ])("rejects authority-host '%s'", (value, message) => {
    const [[input, text]] = errorsFor({ 'authority-host': value })
    expect(input).toBe('authority-host')
    expect(text).toMatch(message)
  })

  it('rejects a secret and a certificate together', () => {
    expect(errorsFor({ 'client-certificate': '-----BEGIN CERTIFICATE-----' })[0][1]).toMatch(
      /Only one credential can be used, and 'client-secret' and 'client-certificate' are set/
    )
  })

  it('without any credential explains every way to authenticate, the permissions block and empty secrets', () => {
    const [[input, message]] = errorsFor({ 'client-secret': '' })
    expect(input).toBe('client-secret')
    expect(message).toContain(
      "this block:\n     permissions:\n       id-token: write\n   A job's 'permissions:' turns off every permission it does not name"
    )
    expect(message).toMatch(/fork and Dependabot/)
    expect(message).toMatch(/'client-certificate'/)
    expect(message).toMatch(/secret that does not exist.*empty string/)
    expect(message).toMatch(/'managed-identity', no secret at all/)
    expect(message).toMatch(/'federated-token-file', no secret at all/)
  })

  it('uses GitHub OIDC when no secret or certificate is given and the job can get an ID token', () => {
    const settings = parseSettings(
      raw({ 'client-secret': '', idTokenRequestUrl: 'https://example.test/idtoken?api-version=2.0', idTokenRequestToken: REQUEST_TOKEN })
    )
    expect(settings.source).toEqual({
      kind: 'entra',
      credential: {
        kind: 'github-oidc',
        audience: 'api://AzureADTokenExchange',
        requestUrl: 'https://example.test/idtoken?api-version=2.0',
        requestToken: REQUEST_TOKEN
      }
    })
  })

  it.each([
    ['usgov', 'api://AzureADTokenExchangeUSGov'],
    ['usgov-dod', 'api://AzureADTokenExchangeUSGov'],
    ['china', 'api://AzureADTokenExchangeChina']
  ])('defaults the OIDC audience of cloud %s to %s', (cloud, audience) => {
    const settings = parseSettings(
      raw({ cloud, 'client-secret': '', idTokenRequestUrl: 'https://x.test/?a=1', idTokenRequestToken: REQUEST_TOKEN })
    )
    expect(settings.source).toMatchObject({ credential: { audience } })
  })

  it.each(['0', '-1', '1.5', 'four', '101'])("rejects max-attempts '%s'", value => {
    expect(errorsFor({ 'max-attempts': value })).toEqual([['max-attempts', expect.stringMatching(/whole number from 1 to 100/)]])
  })

  it.each(['0', '-5', 'soon', '1e3', '3601', '2.5', '0.0000001', '1e-9'])("rejects timeout-seconds '%s'", value => {
    expect(errorsFor({ 'timeout-seconds': value })).toEqual([
      ['timeout-seconds', expect.stringMatching(/whole number of seconds from 1 to 3600/)]
    ])
  })

  it.each([
    ['1', 1000],
    ['3600', 3_600_000]
  ])('accepts timeout-seconds %s', (value, ms) => {
    expect(parseSettings(raw({ 'timeout-seconds': value })).timeoutMs).toBe(ms)
  })

  it('accepts an IPv6 literal as authority-host', () => {
    expect(parseSettings(raw({ 'authority-host': 'https://[::1]:8443' })).tokenUrl).toBe(`https://[::1]:8443/${TENANT}/oauth2/v2.0/token`)
  })

  it.each([
    ['white space inside', 'https://graph.microsoft.com/.default\tx', /more than one scope|control/],
    ['a zero-width space', 'https://graph.microsoft.com\u200b/.default', /control or invisible characters/],
    ['a control character', 'https://graph.microsoft.com/\u0007.default', /control or invisible characters/],
    ['an absurd length', `https://${'a'.repeat(1200)}.example/.default`, /characters long/]
  ])('rejects a scope with %s', (_, scope, message) => {
    expect(errorsFor({ scope })).toEqual([['scope', expect.stringMatching(message)]])
  })

  it.each([
    ['not a URL', 'not a url', /ACTIONS_ID_TOKEN_REQUEST_URL is not a URL/],
    ['plain http off the machine', 'http://token.example.test/idtoken?x=1', /plain http to token\.example\.test.*clear text/]
  ])('refuses an ACTIONS_ID_TOKEN_REQUEST_URL that is %s', (_, url, message) => {
    expect(errorsFor({ 'client-secret': '', idTokenRequestUrl: url, idTokenRequestToken: REQUEST_TOKEN })).toEqual([
      ['ACTIONS_ID_TOKEN_REQUEST_URL', expect.stringMatching(message)]
    ])
  })

  it('accepts a plain-http ACTIONS_ID_TOKEN_REQUEST_URL to loopback (a local runner emulator)', () => {
    const settings = parseSettings(
      raw({ 'client-secret': '', idTokenRequestUrl: 'http://127.0.0.1:9/idtoken?x=1', idTokenRequestToken: REQUEST_TOKEN })
    )
    expect(settings.source).toMatchObject({ credential: { requestUrl: 'http://127.0.0.1:9/idtoken?x=1' } })
  })

  it.each([
    ['https_proxy', 'http://user:%zz@proxy.corp:3128', /user or password that is not valid percent-encoding/],
    ['HTTPS_PROXY', 'http://[bad', /is not a URL/],
    ['https_proxy', 'socks5://proxy.corp:1080', /uses 'socks5', not http or https/]
  ])('refuses a malformed proxy in %s, naming the variable', (variable, value, message) => {
    expect(errorsFor({ proxyVariables: { [variable]: value } })).toEqual([[variable, expect.stringMatching(message)]])
  })

  it('reads https_proxy without a scheme as http://, and no_proxy entries', () => {
    const { proxy } = parseSettings(raw({ proxyVariables: { https_proxy: 'proxy.corp:3128', no_proxy: 'example.com, .corp' } }))
    expect(proxy.https).toMatchObject({ variable: 'https_proxy', address: 'proxy.corp:3128' })
    expect(proxy.noProxy).toEqual(['example.com', '.corp'])
  })

  it('rejects a password without a certificate', () => {
    expect(errorsFor({ 'client-certificate-password': 'pw' })[0][0]).toBe('client-certificate-password')
  })

  it('reports every bad input at once, each naming its input', () => {
    const errors = errorsFor({ 'tenant-id': 'common', 'client-id': 'x', cloud: 'mars', 'max-attempts': '0' })
    expect(errors.map(([input]) => input)).toEqual(['cloud', 'tenant-id', 'client-id', 'max-attempts'])
  })

  it('never puts the secret into a message', () => {
    const errors = errorsFor({ 'tenant-id': '', 'client-id': '', 'client-certificate': 'x', cloud: 'x' })
    expect(errors.map(e => e[1]).join('\n')).not.toContain(SECRET)
  })
})

describe('managed identity and federated token files', () => {
  const RESOURCE_ID =
    '/subscriptions/0c1d2e3f-0000-1111-2222-333344445555/resourceGroups/runners/providers/Microsoft.ManagedIdentity/userAssignedIdentities/runner-id'
  const USER_ASSIGNED = 'b1c2d3e4-0000-1111-2222-333344445555'
  const noApp = { 'client-secret': '', 'tenant-id': '', 'client-id': '' }

  it.each([
    ['system', { kind: 'system' }],
    ['SYSTEM', { kind: 'system' }],
    [USER_ASSIGNED.toUpperCase(), { kind: 'client-id', value: USER_ASSIGNED }],
    [RESOURCE_ID, { kind: 'resource-id', value: RESOURCE_ID }]
  ])("takes 'managed-identity' %s, with no tenant-id or client-id, as the identity's own token from IMDS", (value, id) => {
    const settings = parseSettings(raw({ ...noApp, 'managed-identity': value }))
    expect(settings.source).toEqual({
      kind: 'managed-identity',
      identity: { id, endpoint: { kind: 'imds', baseUrl: 'http://169.254.169.254' } }
    })
    expect(settings).toMatchObject({ tenantId: '', clientId: '' })
  })

  // Both are GUIDs: only the prefix makes a value an object (principal) ID, never a client ID.
  it.each([
    [`object-id:${USER_ASSIGNED}`, USER_ASSIGNED],
    [`OBJECT-ID:${USER_ASSIGNED.toUpperCase()}`, USER_ASSIGNED],
    [`object-id: ${USER_ASSIGNED}`, USER_ASSIGNED]
  ])("takes 'managed-identity' %s as a user-assigned identity by its object (principal) ID", (value, objectId) => {
    const settings = parseSettings(raw({ ...noApp, 'managed-identity': value }))
    expect(settings.source).toEqual({
      kind: 'managed-identity',
      identity: { id: { kind: 'object-id', value: objectId }, endpoint: { kind: 'imds', baseUrl: 'http://169.254.169.254' } }
    })
  })

  it.each(['object-id:', 'object-id:runner-id', `object-id:${RESOURCE_ID}`])(
    "refuses 'managed-identity' %s: no GUID after object-id:",
    value => {
      expect(errorsFor({ ...noApp, 'managed-identity': value })).toEqual([
        [
          'managed-identity',
          expect.stringMatching(
            /^'managed-identity' has object-id: but no GUID after it.*object-id:GUID, from 'az identity show --query principalId'/s
          )
        ]
      ])
    }
  )

  // Room for an IMDS update (410 for up to 70 s, waited out) when a managed identity is asked.
  it.each([
    ['a client secret', { 'timeout-seconds': '' }, 60_000],
    ["a managed identity's own token", { ...noApp, 'managed-identity': 'system', 'timeout-seconds': '' }, 90_000],
    ['a managed identity as the app credential', { 'client-secret': '', 'managed-identity': USER_ASSIGNED, 'timeout-seconds': '' }, 90_000],
    ['a managed identity with timeout-seconds given', { ...noApp, 'managed-identity': 'system', 'timeout-seconds': '60' }, 60_000]
  ])('sets the deadline for %s', (_, inputs, timeoutMs) => {
    expect(parseSettings(raw(inputs as Partial<RawInputs>)).timeoutMs).toBe(timeoutMs)
  })

  it.each(['yes', 'b1c2d3e4', '/subscriptions/x/resourceGroups/y', 'mi-name'])(
    "refuses 'managed-identity' %s, listing the three forms",
    value => {
      expect(errorsFor({ ...noApp, 'managed-identity': value })).toEqual([
        [
          'managed-identity',
          expect.stringMatching(
            /not 'system', a client ID, object-id:GUID or a resource ID.*'system'.*client ID.*object-id:GUID.*resource ID/s
          )
        ]
      ])
    }
  )

  it('uses IDENTITY_ENDPOINT and IDENTITY_HEADER when the platform sets them, and AZURE_POD_IDENTITY_AUTHORITY_HOST for IMDS', () => {
    const appService = parseSettings(
      raw({
        ...noApp,
        'managed-identity': 'system',
        azureVariables: { IDENTITY_ENDPOINT: 'http://localhost:42356/msi/token', IDENTITY_HEADER: HEADER }
      })
    )
    expect(appService.source).toMatchObject({
      identity: { endpoint: { kind: 'identity-endpoint', url: 'http://localhost:42356/msi/token', header: HEADER } }
    })
    const pod = parseSettings(
      raw({ ...noApp, 'managed-identity': 'system', azureVariables: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9/' } })
    )
    expect(pod.source).toMatchObject({ identity: { endpoint: { kind: 'imds', baseUrl: 'http://127.0.0.1:9' } } })
  })

  it('refuses an IDENTITY_ENDPOINT that is not a URL, naming it', () => {
    expect(
      errorsFor({ ...noApp, 'managed-identity': 'system', azureVariables: { IDENTITY_ENDPOINT: 'nope', IDENTITY_HEADER: HEADER } })
    ).toEqual([['IDENTITY_ENDPOINT', expect.stringMatching(/IDENTITY_ENDPOINT is not a URL/)]])
  })

  it('refuses a Service Fabric node (IDENTITY_SERVER_THUMBPRINT), whose endpoint speaks another protocol, before any request', () => {
    const serviceFabric = { IDENTITY_ENDPOINT: 'https://127.0.0.1:2377/metadata/identity/oauth2/token', IDENTITY_HEADER: HEADER }
    expect(
      errorsFor({ ...noApp, 'managed-identity': 'system', azureVariables: { ...serviceFabric, IDENTITY_SERVER_THUMBPRINT: 'ab12' } })
    ).toEqual([['managed-identity', expect.stringMatching(/Service Fabric node \(IDENTITY_SERVER_THUMBPRINT is set\).*Use GitHub OIDC/)]])
  })

  it('with tenant-id and client-id, uses a user-assigned identity as the app credential for the cloud exchange audience', () => {
    const settings = parseSettings(raw({ 'client-secret': '', 'managed-identity': USER_ASSIGNED, cloud: 'usgov' }))
    expect(settings.source).toEqual({
      kind: 'entra',
      credential: {
        kind: 'managed-identity',
        identity: { id: { kind: 'client-id', value: USER_ASSIGNED }, endpoint: { kind: 'imds', baseUrl: 'http://169.254.169.254' } },
        audience: 'api://AzureADTokenExchangeUSGov'
      }
    })
  })

  it("refuses 'system' with client-id: Entra trusts only user-assigned identities", () => {
    expect(errorsFor({ 'client-secret': '', 'managed-identity': 'system' })).toEqual([
      ['managed-identity', expect.stringMatching(/only a user-assigned managed identity/)]
    ])
  })

  it("needs tenant-id when a managed identity is the app's credential", () => {
    expect(errorsFor({ 'client-secret': '', 'tenant-id': '', 'managed-identity': USER_ASSIGNED })).toEqual(
      [['tenant-id', "'tenant-id' is empty."]].map(([i, m]) => [i, expect.stringContaining(m)])
    )
  })

  it.each([
    [['client-secret', 'managed-identity'], { 'managed-identity': 'system' }],
    [['client-secret', 'federated-token-file'], { 'federated-token-file': '/f' }],
    [
      ['client-secret', 'client-certificate', 'managed-identity', 'federated-token-file'],
      { 'client-certificate': 'x', 'managed-identity': 'system', 'federated-token-file': '/f' }
    ]
  ])('refuses %j together, naming them', (names, inputs) => {
    const [[, message]] = errorsFor(inputs)
    expect(message).toContain(`${names.map(n => `'${n}'`).join(' and ')} are set`)
  })

  it("takes 'federated-token-file' as the credential", () => {
    expect(parseSettings(raw({ 'client-secret': '', 'federated-token-file': 'tokens/runner-token' })).source).toEqual({
      kind: 'entra',
      credential: { kind: 'federated-token-file', path: 'tokens/runner-token', origin: 'federated-token-file' }
    })
  })

  it('falls back to the AKS environment when no credential is given and there is no GitHub ID token, saying where each value came from', () => {
    const settings = parseSettings(
      raw({
        ...noApp,
        azureVariables: {
          AZURE_FEDERATED_TOKEN_FILE: 'secrets/azure/tokens/azure-identity-token',
          AZURE_TENANT_ID: TENANT,
          AZURE_CLIENT_ID: CLIENT
        }
      })
    )
    expect(settings).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      source: { kind: 'entra', credential: { kind: 'federated-token-file', origin: 'AZURE_FEDERATED_TOKEN_FILE' } }
    })
    expect(settings.notes).toEqual([
      expect.stringMatching(/'tenant-id' is empty: using AZURE_TENANT_ID/),
      expect.stringMatching(/'client-id' is empty: using AZURE_CLIENT_ID/),
      expect.stringMatching(/federated token file in AZURE_FEDERATED_TOKEN_FILE/)
    ])
  })

  it("fills an empty tenant-id and client-id from AZURE_TENANT_ID and AZURE_CLIENT_ID for a 'federated-token-file' too", () => {
    const settings = parseSettings(
      raw({ ...noApp, 'federated-token-file': 'tokens/t', azureVariables: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT } })
    )
    expect(settings).toMatchObject({ tenantId: TENANT, clientId: CLIENT })
  })

  it('says that AZURE_TENANT_ID and AZURE_CLIENT_ID are empty too, and what sets them on AKS', () => {
    const errors = errorsFor({ ...noApp, azureVariables: { AZURE_FEDERATED_TOKEN_FILE: 'tokens/t' } })
    expect(errors).toEqual([
      ['tenant-id', expect.stringMatching(/^'tenant-id' is empty, and so is AZURE_TENANT_ID\..*azure\.workload\.identity\/use/)],
      ['client-id', expect.stringMatching(/^'client-id' is empty, and so is AZURE_CLIENT_ID\..*azure\.workload\.identity\/client-id/)]
    ])
  })

  it("notes that 'tenant-id' is not used for a managed identity's own token", () => {
    expect(parseSettings(raw({ 'client-secret': '', 'client-id': '', 'managed-identity': 'system' })).notes).toEqual([
      expect.stringMatching(/^'tenant-id' is not used/)
    ])
  })

  it('prefers the inputs over AZURE_TENANT_ID and AZURE_CLIENT_ID, and GitHub OIDC over the AKS file', () => {
    const azure = {
      AZURE_FEDERATED_TOKEN_FILE: '/t',
      AZURE_TENANT_ID: 'other.onmicrosoft.com',
      AZURE_CLIENT_ID: '99999999-9999-9999-9999-999999999999'
    }
    expect(parseSettings(raw({ 'client-secret': '', azureVariables: azure }))).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      notes: [expect.any(String)]
    })
    const oidc = parseSettings(
      raw({ 'client-secret': '', azureVariables: azure, idTokenRequestUrl: 'https://x.test/?a=1', idTokenRequestToken: REQUEST_TOKEN })
    )
    expect(oidc.source).toMatchObject({ credential: { kind: 'github-oidc' } })
  })
})

describe('values that go into a request as they are', () => {
  it.each([
    ['a client secret with a line break', { 'client-secret': 'abc\ndef' }, 'client-secret', /line break or control character/],
    [
      'an oidc-audience ending in /.default',
      {
        'client-secret': '',
        'oidc-audience': 'api://AzureADTokenExchange/.default',
        idTokenRequestUrl: 'https://x.test/?a=1',
        idTokenRequestToken: REQUEST_TOKEN
      },
      'oidc-audience',
      /ends in \/\.default/
    ],
    [
      'an oidc-audience with a space',
      { 'client-secret': '', 'oidc-audience': 'api://a b', idTokenRequestUrl: 'https://x.test/?a=1', idTokenRequestToken: REQUEST_TOKEN },
      'oidc-audience',
      /not one audience/
    ],
    [
      'a request token with a line break',
      { 'client-secret': '', idTokenRequestUrl: 'https://x.test/?a=1', idTokenRequestToken: 'r\nx' },
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      /characters a request header cannot carry/
    ],
    ['an authority-host on port 0', { 'authority-host': 'https://127.0.0.1:0' }, 'authority-host', /port 0/],
    [
      'an OIDC URL to a name that only starts like loopback',
      { 'client-secret': '', idTokenRequestUrl: 'http://127.attacker.example/t?x=1', idTokenRequestToken: REQUEST_TOKEN },
      'ACTIONS_ID_TOKEN_REQUEST_URL',
      /plain http to 127\.attacker\.example/
    ]
  ])('refuses %s before any request', (_, inputs, input, message) => {
    expect(errorsFor(inputs as Partial<RawInputs>)).toEqual([[input, expect.stringMatching(message)]])
  })

  it.each([
    [
      'IDENTITY_HEADER with a line break',
      { IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token', IDENTITY_HEADER: 'a\r\nb: c' },
      'IDENTITY_HEADER',
      /request header/
    ],
    [
      'IDENTITY_ENDPOINT in plain http off the machine',
      { IDENTITY_ENDPOINT: 'http://203.0.113.5/msi', IDENTITY_HEADER: HEADER },
      'IDENTITY_ENDPOINT',
      /plain http to 203\.0\.113\.5, off this machine/
    ],
    [
      'AZURE_POD_IDENTITY_AUTHORITY_HOST in plain http off the machine',
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://imds.example.net' },
      'AZURE_POD_IDENTITY_AUTHORITY_HOST',
      /off this machine/
    ]
  ])('refuses %s, naming it', (_, azureVariables, input, message) => {
    expect(errorsFor({ 'client-secret': '', 'client-id': '', 'managed-identity': 'system', azureVariables })).toEqual([
      [input, expect.stringMatching(message)]
    ])
  })

  // A mask of a few characters would blank them out all over the job's log: refused, never masked.
  it.each([
    [
      'IDENTITY_HEADER',
      { 'managed-identity': 'system', azureVariables: { IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi', IDENTITY_HEADER: 'a' } }
    ],
    [
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      { 'tenant-id': TENANT, 'client-id': CLIENT, idTokenRequestUrl: 'https://x.test/?a=1', idTokenRequestToken: 'abc' }
    ]
  ])('refuses a %s too short to be real', (variable, inputs) => {
    expect(errorsFor({ ...noApp, ...(inputs as Partial<RawInputs>) })).toEqual([
      [variable, expect.stringMatching(new RegExp(`^${variable} is \\d+ characters? long, too short to be real \\(at least 16\\)\\.`))]
    ])
  })

  it('refuses a client secret too short to be real, pointing to its Value', () => {
    expect(errorsFor({ 'client-secret': 'abc' })).toEqual([
      [
        'client-secret',
        expect.stringMatching(
          /^'client-secret' is 3 characters long, too short to be real \(at least 16\): an Entra ID client secret's Value has 40 characters\. Copy the secret's Value/
        )
      ]
    ])
  })

  it('accepts IMDS at its link-local address', () => {
    const settings = parseSettings(
      raw({
        'client-secret': '',
        'client-id': '',
        'managed-identity': 'system',
        azureVariables: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://169.254.169.254' }
      })
    )
    expect(settings.source).toMatchObject({ identity: { endpoint: { kind: 'imds', baseUrl: 'http://169.254.169.254' } } })
  })

  // Linux App Service sets a link-local IDENTITY_ENDPOINT (MSAL and @azure/identity accept it).
  const noApp = { 'client-secret': '', 'tenant-id': '', 'client-id': '' }
  it.each(['http://169.254.129.3:8081/msi/token', 'http://169.254.0.1/msi/token', 'http://169.254.255.254:8081/msi/token'])(
    'accepts plain http to the link-local IDENTITY_ENDPOINT %s, which never leaves the link',
    url => {
      const settings = parseSettings(
        raw({ ...noApp, 'managed-identity': 'system', azureVariables: { IDENTITY_ENDPOINT: url, IDENTITY_HEADER: HEADER } })
      )
      expect(settings.source).toMatchObject({ identity: { endpoint: { kind: 'identity-endpoint', url, header: HEADER } } })
    }
  )

  it.each([
    'http://169.255.0.1/msi/token',
    'http://170.254.0.1/msi/token',
    'http://169.254.example.net/msi/token',
    'http://[fe80::1]/msi/token'
  ])('refuses plain http to %s, which is not IPv4 link-local', url => {
    expect(
      errorsFor({ ...noApp, 'managed-identity': 'system', azureVariables: { IDENTITY_ENDPOINT: url, IDENTITY_HEADER: HEADER } })
    ).toEqual([
      [
        'IDENTITY_ENDPOINT',
        expect.stringMatching(/is plain http to .*, off this machine and its link-local network \(169\.254\.0\.0\/16\)/)
      ]
    ])
  })
})

describe('Azure Arc', () => {
  const arc = { IDENTITY_ENDPOINT: 'http://localhost:40342/metadata/identity/oauth2/token', IMDS_ENDPOINT: 'http://localhost:40342' }
  it('uses the agent when IDENTITY_ENDPOINT and IMDS_ENDPOINT are set', () => {
    const settings = parseSettings(raw({ 'client-secret': '', 'client-id': '', 'managed-identity': 'system', azureVariables: arc }))
    expect(settings.source).toMatchObject({ identity: { endpoint: { kind: 'arc', url: arc.IDENTITY_ENDPOINT } } })
  })

  it('refuses a user-assigned identity there: Arc has only the system-assigned one', () => {
    expect(errorsFor({ 'client-secret': '', 'client-id': '', 'managed-identity': CLIENT, azureVariables: arc })).toEqual([
      [
        'managed-identity',
        expect.stringMatching(/Azure Arc-enabled server, where the action uses only the machine's system-assigned identity/)
      ]
    ])
  })
})

describe("the AKS webhook's AZURE_AUTHORITY_HOST", () => {
  const aks = (extra: Partial<RawInputs>, AZURE_AUTHORITY_HOST: string) =>
    raw({
      'client-secret': '',
      'tenant-id': '',
      'client-id': '',
      cloud: '',
      azureVariables: {
        AZURE_FEDERATED_TOKEN_FILE: 'azure-identity-token',
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_AUTHORITY_HOST
      },
      ...extra
    })

  it.each([
    ['https://login.microsoftonline.us/', 'usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us/.default'],
    ['https://login.chinacloudapi.cn/', 'china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default'],
    ['https://login.microsoftonline.com/', 'public', 'https://login.microsoftonline.com', 'https://graph.microsoft.com/.default'],
    ['https://login.azurestack.example:8443', 'public', 'https://login.azurestack.example:8443', 'https://graph.microsoft.com/.default']
  ])(
    'with the token file and no cloud or authority-host, %s is the login host (the %s cloud), and the log says so',
    (value, cloud, authorityHost, scope) => {
      const settings = parseSettings(aks({}, value))
      expect(settings).toMatchObject({ cloud, authorityHost, scope, tokenUrl: `${authorityHost}/${TENANT}/oauth2/v2.0/token` })
      expect(settings.notes).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^'cloud' and 'authority-host' are empty: using AZURE_AUTHORITY_HOST from the environment \\(${authorityHost.replace(/[.]/g, '\\.')}\\), as the AKS workload identity webhook sets it`
          )
        )
      )
    }
  )

  it.each([
    ["'cloud'", { cloud: 'china' }, 'https://login.partner.microsoftonline.cn'],
    ["'authority-host'", { 'authority-host': 'https://login.example.net' }, 'https://login.example.net']
  ])('gives way to %s', (_, extra, authorityHost) => {
    const settings = parseSettings(aks(extra, 'https://login.microsoftonline.us/'))
    expect(settings.authorityHost).toBe(authorityHost)
    expect(settings.notes.join('\n')).not.toMatch(/AZURE_AUTHORITY_HOST/)
  })

  it('is not used with another credential', () => {
    const settings = parseSettings(raw({ cloud: '', azureVariables: { AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/' } }))
    expect(settings.authorityHost).toBe('https://login.microsoftonline.com')
  })

  it.each([
    ['plain http', 'http://login.microsoftonline.us/', /must use https/],
    ['a path', 'https://login.microsoftonline.us/tenant/', /must not have a path/],
    ['a look-alike host', 'https://lоgin.microsoftonline.us/', /has characters outside plain ASCII/]
  ])('is checked as authority-host is: refuses %s, naming the variable', (_, value, message) => {
    expect(errorsFor(aks({}, value) as Partial<RawInputs>)).toEqual([
      [
        'AZURE_AUTHORITY_HOST',
        expect.stringMatching(
          new RegExp(`^AZURE_AUTHORITY_HOST \\(used because 'cloud' and 'authority-host' are empty\\) ${message.source}.*Or set 'cloud'`)
        )
      ]
    ])
  })
})

describe('where an identifier came from, when it is wrong', () => {
  const noApp = { 'client-secret': '', 'tenant-id': '', 'client-id': '' }
  it('names AZURE_TENANT_ID and AZURE_CLIENT_ID when their values are bad', () => {
    const errors = errorsFor({
      ...noApp,
      azureVariables: { AZURE_FEDERATED_TOKEN_FILE: 't', AZURE_TENANT_ID: 'not a tenant', AZURE_CLIENT_ID: 'x' }
    })
    expect(errors).toEqual([
      ['tenant-id', expect.stringMatching(/^AZURE_TENANT_ID \(used because 'tenant-id' is empty\) is not a GUID or a domain name/)],
      ['client-id', expect.stringMatching(/^AZURE_CLIENT_ID \(used because 'client-id' is empty\) is not a GUID/)]
    ])
  })

  it('says that GitHub OIDC won over the AKS variables when tenant-id is missing', () => {
    const errors = errorsFor({
      ...noApp,
      idTokenRequestUrl: 'https://x.test/?a=1',
      idTokenRequestToken: REQUEST_TOKEN,
      azureVariables: { AZURE_FEDERATED_TOKEN_FILE: 't', AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT }
    })
    expect(errors[0]).toEqual([
      'tenant-id',
      expect.stringMatching(/GitHub OIDC is used and the AKS variables are not; remove 'permissions: id-token: write'/)
    ])
  })

  it('notes an IDENTITY_ENDPOINT it does not use', () => {
    const settings = parseSettings(
      raw({ ...noApp, 'managed-identity': 'system', azureVariables: { IDENTITY_ENDPOINT: 'http://127.0.0.1:9/x' } })
    )
    expect(settings.notes).toEqual([expect.stringMatching(/^IDENTITY_ENDPOINT is set, but neither IDENTITY_HEADER .* nor IMDS_ENDPOINT/)])
  })
})

describe('keep-fresh and azure-credentials', () => {
  const oidc = {
    'client-secret': '',
    idTokenRequestUrl: 'https://token.actions.example/_apis?api-version=2.0',
    idTokenRequestToken: REQUEST_TOKEN
  }

  it('are off by default and on when true', () => {
    expect(parseSettings(raw())).toMatchObject({ keepFresh: false, azureCredentials: false })
    expect(parseSettings(raw({ ...oidc, 'keep-fresh': 'true', 'azure-credentials': 'TRUE' }))).toMatchObject({
      keepFresh: true,
      azureCredentials: true
    })
  })

  it.each(['keep-fresh', 'azure-credentials'] as const)('%s must be true or false', input => {
    expect(errorsFor({ ...oidc, [input]: 'yes' })).toEqual([[input, `'${input}' must be true or false, not 'yes'.`]])
  })

  it('refuses azure-credentials with a client secret, before any request, naming both inputs and what to use instead', () => {
    const [[input, message]] = errorsFor({ 'azure-credentials': 'true' })
    expect(input).toBe('azure-credentials')
    expect(message).toContain("'azure-credentials' is true, but the credential is 'client-secret'")
    expect(message).toContain("Use 'client-certificate' or GitHub OIDC")
  })

  it('takes keep-fresh with a client secret: the secret stays with the renewer, never in a later step', () => {
    expect(parseSettings(raw({ 'keep-fresh': 'true' })).keepFresh).toBe(true)
  })
})

describe('the no-credential hint and the docs', () => {
  const root = join(import.meta.dirname, '..', '..')
  const markdown = ['README.md', ...(existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).map(f => `docs/${f}`) : [])]
    .filter(path => path.endsWith('.md'))
    .map(path => [path, readFileSync(join(root, path), 'utf8')] as const)

  /** The text under each heading that names GitHub OIDC, to the next heading of its level or higher. */
  function oidcSections(text: string): string[] {
    const headings = [...text.matchAll(/^(#{1,6}) .*$/gm)]
    return headings.flatMap((heading, i) => {
      if (!/GitHub OIDC/i.test(heading[0])) return []
      const next = headings.slice(i + 1).find(h => h[1].length <= heading[1].length)
      return [text.slice(heading.index, next?.index)]
    })
  }

  interface Job {
    permissions?: unknown
    steps?: { uses?: string; with?: Record<string, unknown> }[]
  }
  /** The permissions of each job of a documented workflow that runs this action on GitHub OIDC (no other credential). */
  function oidcJobPermissions(block: string): unknown[] {
    const workflow = parseYaml(block) as { permissions?: unknown; jobs?: Record<string, Job> } | null
    return Object.values(workflow?.jobs ?? {})
      .filter(job =>
        (job.steps ?? []).some(
          step =>
            step.uses?.startsWith('graph-token-action/graph-token-action@') &&
            !['client-secret', 'client-certificate', 'managed-identity', 'federated-token-file'].some(name => step.with?.[name])
        )
      )
      .map(job => ({ permissions: job.permissions ?? workflow?.permissions }))
  }

  it("suggests exactly the permissions block of the docs' GitHub OIDC workflow", () => {
    const [[, message]] = errorsFor({ 'client-secret': '' })
    const lines = message.split('\n')
    const start = lines.findIndex(line => line.trim() === 'permissions:')
    const indent = lines[start].replace(/\S.*/, '')
    const end = lines.findIndex((line, i) => i > start && !line.startsWith(`${indent} `))
    const hinted = parseYaml(lines.slice(start, end).join('\n')) as unknown
    expect(hinted).toHaveProperty(['permissions', 'id-token'], 'write')

    const documented = markdown.flatMap(([path, text]) =>
      oidcSections(text).flatMap(section =>
        [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap(m => oidcJobPermissions(m[1]).map(p => [path, p] as const))
      )
    )
    expect(documented.length).toBeGreaterThan(0)
    for (const [path, permissions] of documented) expect([path, permissions]).toEqual([path, hinted])
  })
})

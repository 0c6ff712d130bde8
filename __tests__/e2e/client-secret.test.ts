import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { annotations, DEMO, leaks, masks, PROXIED_HOST, startE2e } from '../helpers/e2e.js'

let e2e: Awaited<ReturnType<typeof startE2e>>
beforeAll(async () => {
  e2e = await startE2e()
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

const tokenOf = () => e2e.simulator.requests.length

describe.each([
  ['off', {}],
  ['on', { RUNNER_DEBUG: '1' }]
])('a client-secret run with debug logging %s', (_, env) => {
  it('succeeds with the outputs, masks first, and prints no secret', async () => {
    const result = await e2e.run({ 'tenant-id': DEMO.domain }, env)
    expect(result.code).toBe(0)
    const { token } = result.outputs
    expect(token.split('.')).toHaveLength(3)
    expect(result.outputs['tenant-id']).toBe(DEMO.tenantId)
    expect(result.outputs.roles).toBe('User.Read.All,Group.Read.All')
    expect(Number(result.outputs['expires-in'])).toBeGreaterThanOrEqual(3599)
    const expiresOn = Date.parse(result.outputs['expires-on'])
    expect(Math.abs(expiresOn - (Date.now() + Number(result.outputs['expires-in']) * 1000))).toBeLessThan(5000)
    // The secret is registered before anything else is printed, the token before any line after it.
    const lines = result.stdout.split('\n')
    expect(lines[0]).toBe(`::add-mask::${DEMO.clientSecret}`)
    // The secret, its form-encoded spelling (~ is %7E), then the token.
    expect(masks(result)).toEqual([DEMO.clientSecret, DEMO.clientSecret.replace('~', '%7E'), token])
    expect(lines.findIndex(l => l === `::add-mask::${token}`)).toBeLessThan(lines.findIndex(l => l.startsWith('Got a token')))
    expect(result.stdout).toMatch(
      /Got a token for app 'graph-token-action demo' \(aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\) in tenant contoso\.onmicrosoft\.com \(11111111-2222-3333-4444-555555555555\)/
    )
    expect(result.stderr).toBe('')
    expect(leaks(result, { secret: DEMO.clientSecret, token })).toEqual([])
    // Identifiers are not masked: users pass them on.
    expect(masks(result)).not.toContain(DEMO.clientId)
  })
})

it('sends the secret in the body only', async () => {
  await e2e.run()
  const [request] = e2e.simulator.requests
  expect(request.url).toBe(`/${DEMO.tenantId}/oauth2/v2.0/token`)
  expect(request.form).toEqual({
    client_id: DEMO.clientId,
    client_secret: DEMO.clientSecret,
    grant_type: 'client_credentials',
    scope: 'https://graph.microsoft.com/.default'
  })
  expect(JSON.stringify(request.headers)).not.toContain(DEMO.clientSecret)
})

it('explains a wrong secret with exactly one request, exit 1 and no stack trace', async () => {
  const result = await e2e.run({ 'client-secret': 'wrong8Q~ThisIsNotTheSecretValue_0123456789' })
  expect(result.code).toBe(1)
  expect(tokenOf()).toBe(1)
  const [error] = annotations(result)
  expect(error).toMatch(
    /^Entra ID refused the token request \(AADSTS7000215, HTTP 401\): The client secret is wrong\. Put the secret's Value/
  )
  expect(error).toMatch(/\nTrace ID: [0-9a-f-]{36}\nCorrelation ID: [0-9a-f-]{36}\nTimestamp: /)
  expect(error).toContain(`client-request-id: ${e2e.simulator.requests[0].headers['client-request-id']}`)
  expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
  expect(leaks(result, { secret: 'wrong8Q~ThisIsNotTheSecretValue_0123456789' })).toEqual([])
})

it('explains a tenant that does not exist', async () => {
  const result = await e2e.run({ 'tenant-id': 'fabrikam.onmicrosoft.com' })
  expect(result.code).toBe(1)
  expect(annotations(result)[0]).toMatch(
    /AADSTS90002, HTTP 400\): The tenant was not found\. No tenant has the domain in 'tenant-id' \(fabrikam\.onmicrosoft\.com\)/
  )
})

it('explains an app that is not in the tenant', async () => {
  const result = await e2e.run({ 'client-id': '00001111-aaaa-2222-bbbb-3333cccc4444' })
  expect(annotations(result)[0]).toMatch(/AADSTS700016.*No app with this client ID exists in this tenant.*not the Object ID/s)
})

it('reaches Entra ID through the https_proxy', async () => {
  const proxy = await startConnectProxy(e2e.simulator.port)
  try {
    const result = await e2e.run({ 'authority-host': `https://${PROXIED_HOST}:${e2e.simulator.port}` }, { https_proxy: proxy.url })
    expect(result.code).toBe(0)
    expect(proxy.connects).toEqual([`${PROXIED_HOST}:${e2e.simulator.port}`])
    expect(e2e.simulator.requests[0].headers.host).toBe(`${PROXIED_HOST}:${e2e.simulator.port}`)
  } finally {
    await proxy.close()
  }
})

it('cuts off a server that never answers at the deadline, saying it timed out', async () => {
  e2e.simulator.inject('token', { hang: true }, { hang: true })
  const result = await e2e.run({ 'timeout-seconds': '2' })
  expect(result.code).toBe(1)
  expect(result.ms).toBeLessThan(6000)
  expect(annotations(result)[0]).toMatch(/^Timed out: no token within 2 s\./)
})

describe('bad input', () => {
  it.each<[string, Record<string, string>, string, Record<string, string>?]>([
    ['a missing tenant-id', { 'tenant-id': '' }, "'tenant-id' is empty"],
    ['a tenant-id with a slash', { 'tenant-id': 'contoso.com/x' }, "'tenant-id' is not a GUID or a domain name"],
    ['a tenant-id with a query', { 'tenant-id': 'contoso.com?x' }, "'tenant-id' is not a GUID or a domain name"],
    ['a tenant-id with a fragment', { 'tenant-id': 'contoso.com#x' }, "'tenant-id' is not a GUID or a domain name"],
    ['a tenant-id with a percent sign', { 'tenant-id': '%2F' }, "'tenant-id' is not a GUID or a domain name"],
    ['a tenant-id with dot-dot', { 'tenant-id': '..' }, "'tenant-id' is not a GUID or a domain name"],
    ['a tenant-id with a space', { 'tenant-id': 'contoso com' }, "'tenant-id' is not a GUID or a domain name"],
    ['tenant-id common', { 'tenant-id': 'common' }, "'tenant-id' is 'common', which does not name a tenant"],
    ['tenant-id organizations', { 'tenant-id': 'organizations' }, "'tenant-id' is 'organizations'"],
    ['tenant-id consumers', { 'tenant-id': 'consumers' }, "'tenant-id' is 'consumers'"],
    ['a malformed client-id', { 'client-id': 'my-app' }, "'client-id' is not a GUID"],
    ['a scope without /.default', { scope: 'User.Read.All' }, "'scope' must be a resource's /.default"],
    [
      'an unknown cloud',
      { cloud: 'germany' },
      "'cloud' is 'germany', which is not a known cloud. Use one of: public, usgov, usgov-dod, china."
    ],
    ['an http authority-host', { 'authority-host': 'http://127.0.0.1:1' }, "'authority-host' must use https"],
    [
      'an authority-host with credentials',
      { 'authority-host': 'https://u:p@127.0.0.1:1' },
      "'authority-host' must not contain credentials"
    ],
    ['an authority-host with a path', { 'authority-host': 'https://127.0.0.1:1/x' }, "'authority-host' must not have a path"],
    ['an authority-host with a query', { 'authority-host': 'https://127.0.0.1:1?x' }, "'authority-host' must not have a query"],
    ['an authority-host with a fragment', { 'authority-host': 'https://127.0.0.1:1#x' }, "'authority-host' must not have a fragment"],
    [
      'both a secret and a certificate',
      { 'client-certificate': '-----BEGIN CERTIFICATE-----' },
      "Only one credential can be used, and 'client-secret' and 'client-certificate' are set"
    ],
    [
      'required-roles separated by semicolons',
      { 'required-roles': 'User.Read.All;Group.Read.All' },
      "'required-roles' has 'User.Read.All;Group.Read.All', but ';' does not separate permissions. List application permissions by name, as in the token's roles claim, and separate them with commas, spaces or new lines, e.g. User.Read.All, Group.Read.All."
    ],
    ['max-attempts 0', { 'max-attempts': '0' }, "'max-attempts' must be a whole number from 1 to 100"],
    ['max-attempts not a number', { 'max-attempts': 'many' }, "'max-attempts' must be a whole number"],
    ['timeout-seconds 0', { 'timeout-seconds': '0' }, "'timeout-seconds' must be a whole number of seconds from 1 to 3600"],
    ['timeout-seconds negative', { 'timeout-seconds': '-1' }, "'timeout-seconds' must be a whole number of seconds from 1 to 3600"],
    ['no credential at all (a secret that does not exist)', { 'client-secret': '' }, 'No credential:'],
    [
      'a secret and a managed identity',
      { 'managed-identity': 'system' },
      "Only one credential can be used, and 'client-secret' and 'managed-identity' are set"
    ],
    ['a malformed managed-identity', { 'client-secret': '', 'managed-identity': 'runner-identity' }, "'managed-identity' is not 'system'"],
    [
      'a look-alike authority-host (Cyrillic о)',
      { 'authority-host': 'https://lоgin.microsoftonline.com' },
      "'authority-host' has characters outside plain ASCII"
    ],
    [
      'a scope with a zero-width space',
      { scope: 'https://graph.microsoft.com\u200b/.default' },
      "'scope' has control or invisible characters"
    ],
    ['timeout-seconds 0.0000001', { 'timeout-seconds': '0.0000001' }, "'timeout-seconds' must be a whole number of seconds"],
    [
      'an ACTIONS_ID_TOKEN_REQUEST_URL that is not a URL',
      { 'client-secret': '' },
      'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL',
      { ACTIONS_ID_TOKEN_REQUEST_URL: 'not a url', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789' }
    ],
    [
      'a plain-http ACTIONS_ID_TOKEN_REQUEST_URL off the machine',
      { 'client-secret': '' },
      'ACTIONS_ID_TOKEN_REQUEST_URL is plain http to token.example.test',
      { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://token.example.test/x?a=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789' }
    ],
    [
      'an https_proxy with bad percent-encoding',
      {},
      'The proxy in https_proxy has a user or password that is not valid percent-encoding',
      { https_proxy: 'http://user:%E0%A4%A@127.0.0.1:9' }
    ]
  ])('%s: one error naming the input, exit 1, no stack trace, no request', async (_, inputs, message, env = {}) => {
    const result = await e2e.run(inputs, env)
    expect(result.code).toBe(1)
    const errors = annotations(result)
    expect(errors).toHaveLength(1)
    expect(errors[0].startsWith(message)).toBe(true)
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
    expect(e2e.simulator.requests).toHaveLength(0)
    expect(result.outputs).toEqual({})
    expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { startManagedIdentityEndpoint } from '../../scripts/managed-identity-endpoint.mjs'
import { arcTokenDirectory } from '../../src/token-sources/managed-identity.js'
import { appServiceAnswer, imdsAnswer } from '../fixtures/managed-identity.mjs'
import { startBlackHole } from '../helpers/black-hole.js'
import { itExceptOn } from '../helpers/platform.js'
import { annotations, DEMO, leaks, masks, startE2e, type RunResult } from '../helpers/e2e.js'

// Self-hosted runners on Azure, end to end: dist/index.js against a fake IMDS and a fake
// IDENTITY_ENDPOINT on plain HTTP at 127.0.0.1 (as the real ones are plain HTTP on the machine),
// and against the Entra ID simulator for the federated kinds. Debug logging is on in every run,
// and every token involved is looked for in what it printed.
const SYSTEM = {
  clientId: '5a5a5a5a-0000-4000-8000-000000000001',
  objectId: '6b6b6b6b-0000-4000-8000-000000000001',
  system: true,
  roles: ['User.Read.All']
}
const RUNNER_ID = {
  clientId: '5a5a5a5a-0000-4000-8000-000000000002',
  objectId: '6b6b6b6b-0000-4000-8000-000000000002',
  resourceId:
    '/subscriptions/0c1d2e3f-0000-1111-2222-333344445555/resourceGroups/runners/providers/Microsoft.ManagedIdentity/userAssignedIdentities/runner-id',
  roles: ['Group.Read.All']
}
const STRANGER = { clientId: '5a5a5a5a-0000-4000-8000-000000000003', objectId: '6b6b6b6b-0000-4000-8000-000000000003' }
const IDENTITY_HEADER = 'identity-header-0123456789abcdef'
const CLUSTER_ISSUER = 'https://oidc.prod-aks.azure.com/11111111-2222-3333-4444-555555555555/7c7c7c7c-0000-4000-8000-000000000000/'
const SERVICE_ACCOUNT = 'system:serviceaccount:arc-runners:arc-runner'
const EXCHANGE = 'api://AzureADTokenExchange'

let e2e: Awaited<ReturnType<typeof startE2e>>
let endpoint: Awaited<ReturnType<typeof startManagedIdentityEndpoint>>
let dir: string
beforeAll(async () => {
  dir = makeTempDir('mi-e2e-')
  e2e = await startE2e({
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: DEMO.appName,
        federated: [
          { issuer: `https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`, subject: RUNNER_ID.objectId, audience: EXCHANGE },
          { issuer: CLUSTER_ISSUER, subject: SERVICE_ACCOUNT, audience: EXCHANGE }
        ],
        roles: ['Sites.Read.All']
      }
    ]
  })
  endpoint = await startManagedIdentityEndpoint({
    tenantId: DEMO.tenantId,
    sign: e2e.simulator.signToken,
    identities: [SYSTEM, RUNNER_ID, STRANGER],
    resources: ['https://graph.microsoft.com'],
    identityHeader: IDENTITY_HEADER
  })
})
afterAll(async () => {
  await endpoint.close()
  await e2e.stop()
  removeTempDir(dir)
})
beforeEach(() => {
  e2e.simulator.reset()
  endpoint.reset()
})

const NO_APP = { 'tenant-id': undefined, 'client-id': undefined, 'client-secret': undefined }
const imdsEnv = () => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint.imdsUrl, RUNNER_DEBUG: '1' })
/** Every token the fake endpoints issued in this run, and what the action output. */
const tokensOf = (result: RunResult) => ({
  token: result.outputs.token,
  header: IDENTITY_HEADER,
  ...Object.fromEntries(e2e.simulator.requests.map((r, i) => [`assertion${i}`, r.form?.client_assertion]))
})
const clusterToken = (claims: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return e2e.simulator.signClusterToken({
    iss: CLUSTER_ISSUER,
    sub: SERVICE_ACCOUNT,
    aud: EXCHANGE,
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...claims
  })
}

describe("a managed identity's own token", () => {
  it.each([
    ['system', SYSTEM, {}],
    ['a user-assigned identity by client ID', RUNNER_ID, { client_id: RUNNER_ID.clientId }],
    ['a user-assigned identity by resource ID', RUNNER_ID, { msi_res_id: RUNNER_ID.resourceId }]
  ])('from IMDS, %s: no tenant-id, client-id or secret needed', async (_, identity, query) => {
    const value = identity === SYSTEM ? 'system' : 'client_id' in query ? identity.clientId : RUNNER_ID.resourceId
    const result = await e2e.run({ ...NO_APP, 'managed-identity': value }, imdsEnv())
    expect(result.code).toBe(0)
    expect(endpoint.requests).toHaveLength(1)
    expect(endpoint.requests[0]).toMatchObject({
      path: '/metadata/identity/oauth2/token',
      query: { 'api-version': '2018-02-01', resource: 'https://graph.microsoft.com', ...query },
      headers: { metadata: 'true' }
    })
    expect(e2e.simulator.requests).toHaveLength(0)
    expect(result.outputs).toMatchObject({ 'tenant-id': DEMO.tenantId, roles: identity.roles.join(','), 'expires-in': '86399' })
    expect(Date.parse(result.outputs['expires-on']) - Date.now()).toBeGreaterThan(86_000_000)
    expect(result.stdout).toMatch(new RegExp(`Got a token for managed identity ${identity.clientId} in tenant ${DEMO.tenantId}`))
    expect(masks(result)).toEqual([result.outputs.token])
    expect(leaks(result, tokensOf(result))).toEqual([])
  })

  it('from IDENTITY_ENDPOINT with IDENTITY_HEADER (Container Apps jobs, App Service), the header masked', async () => {
    const result = await e2e.run(
      { ...NO_APP, 'managed-identity': RUNNER_ID.clientId },
      { IDENTITY_ENDPOINT: endpoint.identityEndpoint, IDENTITY_HEADER, RUNNER_DEBUG: '1' }
    )
    expect(result.code).toBe(0)
    expect(endpoint.requests[0]).toMatchObject({
      path: '/msi/token',
      query: { 'api-version': '2019-08-01', resource: 'https://graph.microsoft.com', client_id: RUNNER_ID.clientId },
      headers: { 'x-identity-header': IDENTITY_HEADER }
    })
    // The documented answer has expires_on alone (__tests__/fixtures/managed-identity.mjs): expires-in comes from it.
    expect(Number(result.outputs['expires-in'])).toBeGreaterThan(86_000)
    expect(Number(result.outputs['expires-in'])).toBeLessThanOrEqual(86_399)
    expect(Date.parse(result.outputs['expires-on']) - Date.now()).toBeGreaterThan(86_000_000)
    expect(masks(result)).toEqual([IDENTITY_HEADER, result.outputs.token])
    expect(leaks(result, tokensOf(result))).toEqual([])
  })

  it.each([
    ['IMDS', () => imdsEnv(), imdsAnswer],
    ['App Service', () => ({ IDENTITY_ENDPOINT: endpoint.identityEndpoint, IDENTITY_HEADER }), appServiceAnswer]
  ])("takes %s's documented answer as it is", async (_, env, fixture) => {
    const now = Math.floor(Date.now() / 1000)
    const token = e2e.simulator.signToken({
      aud: 'https://graph.microsoft.com',
      oid: SYSTEM.objectId,
      tid: DEMO.tenantId,
      iat: now,
      exp: now + 3600
    })
    const body = fixture(token, 'https://graph.microsoft.com', now, 3599)
    endpoint.inject({ status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    const result = await e2e.run({ ...NO_APP, 'managed-identity': 'system' }, { ...env(), RUNNER_DEBUG: '1' })
    expect(result.code).toBe(0)
    expect(result.outputs.token).toBe(token)
    expect(Number(result.outputs['expires-in'])).toBeGreaterThan(3500)
    expect(Number(result.outputs['expires-in'])).toBeLessThanOrEqual(3599)
    expect(leaks(result, { token, header: IDENTITY_HEADER })).toEqual([])
  })

  it('a user-assigned identity by object-id:GUID, as object_id, never as a client ID', async () => {
    const result = await e2e.run({ ...NO_APP, 'managed-identity': `object-id:${RUNNER_ID.objectId}` }, imdsEnv())
    expect(result.code).toBe(0)
    expect(endpoint.requests[0].query).toEqual({
      'api-version': '2018-02-01',
      resource: 'https://graph.microsoft.com',
      object_id: RUNNER_ID.objectId
    })
    expect(result.stdout).toMatch(new RegExp(`Got a token for managed identity ${RUNNER_ID.clientId} in tenant ${DEMO.tenantId}`))
    expect(result.outputs.roles).toBe(RUNNER_ID.roles.join(','))
  })

  // 410 is waited out every 10 s (on the fake clock in __tests__/http/managed-identity.test.ts).
  it('retries 404 (IMDS updating) and 500, then succeeds', async () => {
    endpoint.inject({ status: 404, body: 'Not found' }, { status: 500, body: '{"error":"server_error"}' })
    const result = await e2e.run({ ...NO_APP, 'managed-identity': 'system' }, imdsEnv())
    expect(result.code).toBe(0)
    expect(endpoint.requests).toHaveLength(3)
    expect(leaks(result, tokensOf(result))).toEqual([])
  })

  it("explains 'Identity not found': assign the identity, or fix 'managed-identity'", async () => {
    const result = await e2e.run({ ...NO_APP, 'managed-identity': '0f0f0f0f-0000-4000-8000-00000000000f' }, imdsEnv())
    expect(result.code).toBe(1)
    expect(endpoint.requests).toHaveLength(1)
    const [error] = annotations(result)
    expect(error).toMatch(/^The managed identity endpoint refused the token request \(HTTP 400\): this machine has no such identity\./)
    expect(error).toMatch(/az vm identity assign -g RG -n VM --identities/)
    expect(error).toMatch(/or fix 'managed-identity'/)
  })

  it('refuses an IDENTITY_HEADER too short to be real before any request, and never masks it', async () => {
    const result = await e2e.run(
      { ...NO_APP, 'managed-identity': 'system' },
      { IDENTITY_ENDPOINT: endpoint.identityEndpoint, IDENTITY_HEADER: 'a' }
    )
    expect(result.code).toBe(1)
    expect(endpoint.requests).toHaveLength(0)
    expect(masks(result)).toEqual([])
    expect(annotations(result)).toEqual([
      expect.stringMatching(/^IDENTITY_HEADER is 1 character long, too short to be real \(at least 16\)\./)
    ])
  })

  itExceptOn('win32', 'the black hole stops a process with SIGSTOP')(
    'fails within seconds on a machine with no managed identity endpoint, pointing GitHub-hosted runners to OIDC',
    async () => {
      const hole = await startBlackHole()
      try {
        const result = await e2e.run(
          { ...NO_APP, 'managed-identity': 'system' },
          { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${hole.port}` }
        )
        expect(result.code).toBe(1)
        expect(result.ms).toBeLessThan(4000)
        const [error] = annotations(result)
        expect(error).toMatch(/^No managed identity endpoint answered: Could not connect to 127\.0\.0\.1:\d+ within 2 s/)
        expect(error).toMatch(/VMs, virtual machine scale sets, Container Apps jobs and AKS nodes/)
        expect(error).toMatch(/GitHub-hosted runners have none: use GitHub OIDC/)
      } finally {
        hole.close()
      }
    }
  )

  it('fails at once when nothing listens there', async () => {
    const result = await e2e.run({ ...NO_APP, 'managed-identity': 'system' }, { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' })
    expect(result.code).toBe(1)
    expect(result.ms).toBeLessThan(2000)
    expect(annotations(result)[0]).toMatch(/^No managed identity endpoint answered: Could not reach 127\.0\.0\.1:9: .*ECONNREFUSED/)
  })
})

// The challenge file must be in the agent's own folder, as on a real Arc-enabled server; the test
// can make that folder only as root on Linux (CI here runs as root), and skips, saying so, elsewhere.
const canMakeArcFolder = process.platform === 'linux' && process.getuid?.() === 0
;(canMakeArcFolder ? it : it.skip)(
  `an Azure Arc-enabled server: the challenge file's content goes back as Basic credentials, masked${canMakeArcFolder ? '' : ' (skipped: needs root on Linux to write /var/opt/azcmagent/tokens)'}`,
  async () => {
    const folder = arcTokenDirectory()
    // The first directory this test made, if any: removed again at the end, with what is in it.
    const made = mkdirSync(folder, { recursive: true })
    const keyFile = join(folder, `graph-token-action-test-${process.pid}.key`)
    writeFileSync(keyFile, 'arc-challenge-secret-0123456789abcdef')
    const arc = await startManagedIdentityEndpoint({
      tenantId: DEMO.tenantId,
      sign: e2e.simulator.signToken,
      identities: [SYSTEM],
      resources: ['https://graph.microsoft.com'],
      arcKeyFile: keyFile
    })
    try {
      const result = await e2e.run(
        { ...NO_APP, 'managed-identity': 'system' },
        { IDENTITY_ENDPOINT: arc.arcEndpoint, IMDS_ENDPOINT: `http://127.0.0.1:${arc.port}`, RUNNER_DEBUG: '1' }
      )
      expect(result.code).toBe(0)
      expect(arc.requests.map(r => r.headers.authorization)).toEqual([undefined, 'Basic arc-challenge-secret-0123456789abcdef'])
      expect(arc.requests[0].query).toEqual({ 'api-version': '2020-06-01', resource: 'https://graph.microsoft.com' })
      // The documented answer (the IMDS shape) taken end to end.
      expect(result.outputs['expires-in']).toBe('86399')
      expect(masks(result)).toEqual(['arc-challenge-secret-0123456789abcdef', result.outputs.token])
      expect(leaks(result, { challenge: 'arc-challenge-secret-0123456789abcdef', token: result.outputs.token })).toEqual([])
    } finally {
      await arc.close()
      rmSync(keyFile, { force: true })
      if (made) rmSync(made, { recursive: true, force: true })
    }
  }
)

describe('a managed identity as the credential of an app registration', () => {
  it("sends the identity's token for the exchange audience as the client assertion, and gets the app's token", async () => {
    const result = await e2e.run({ 'client-secret': undefined, 'managed-identity': RUNNER_ID.clientId }, imdsEnv())
    expect(result.code).toBe(0)
    expect(endpoint.requests[0].query).toEqual({ 'api-version': '2018-02-01', resource: EXCHANGE, client_id: RUNNER_ID.clientId })
    const [tokenRequest] = e2e.simulator.requests
    expect(tokenRequest.form).toMatchObject({
      client_id: DEMO.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
    })
    expect(tokenRequest.form).not.toHaveProperty('client_secret')
    expect(masks(result)).toEqual([tokenRequest.form!.client_assertion, result.outputs.token])
    expect(result.outputs.roles).toBe('Sites.Read.All')
    expect(leaks(result, tokensOf(result))).toEqual([])
  })

  it("explains a mismatch with the identity's object ID and the issuer the federated credential needs", async () => {
    const result = await e2e.run({ 'client-secret': undefined, 'managed-identity': STRANGER.clientId }, imdsEnv())
    expect(result.code).toBe(1)
    const [error] = annotations(result)
    expect(error).toMatch(/AADSTS700213/)
    expect(error).toContain(`  issuer   (iss): https://login.microsoftonline.com/${DEMO.tenantId}/v2.0\n`)
    expect(error).toContain(`  subject  (sub): ${STRANGER.objectId}  <- differs`)
    expect(error).toMatch(/object \(principal\) ID, not its client ID/)
    expect(leaks(result, tokensOf(result))).toEqual([])
  })

  it("refuses 'system' with client-id before any request", async () => {
    const result = await e2e.run({ 'client-secret': undefined, 'managed-identity': 'system' }, imdsEnv())
    expect(result.code).toBe(1)
    expect(annotations(result)).toEqual([expect.stringMatching(/^'managed-identity' is 'system', and 'client-id' is set/)])
    expect(endpoint.requests).toHaveLength(0)
  })
})

describe('a federated token file', () => {
  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('is sent as the client assertion, trimmed and masked', async () => {
    const token = clusterToken()
    const path = file('token', `${token}\n`)
    const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': path }, { RUNNER_DEBUG: '1' })
    expect(result.code).toBe(0)
    expect(e2e.simulator.requests[0].form).toMatchObject({ client_assertion: token })
    expect(masks(result)).toEqual([token, result.outputs.token])
    expect(leaks(result, { file: token, token: result.outputs.token })).toEqual([])
  })

  it('is read afresh for every attempt, as the kubelet rotates it', async () => {
    const [first, second] = [clusterToken({ jti: 'first' }), clusterToken({ jti: 'second' })]
    const path = file('rotating', first)
    e2e.simulator.inject('token', {
      respond: (_req: unknown, res: { writeHead(s: number): void; end(t: string): void }) => {
        writeFileSync(path, second)
        res.writeHead(503)
        res.end('rotating')
      }
    })
    const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': path }, { RUNNER_DEBUG: '1' })
    expect(result.code).toBe(0)
    expect(e2e.simulator.requests.map(r => r.form!.client_assertion)).toEqual([first, second])
    expect(leaks(result, { first, second, token: result.outputs.token })).toEqual([])
  })

  it('is used with nothing in the inputs when the AKS webhook set AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID', async () => {
    const token = clusterToken()
    const path = file('aks', token)
    const result = await e2e.run(NO_APP, {
      AZURE_FEDERATED_TOKEN_FILE: path,
      AZURE_TENANT_ID: DEMO.tenantId,
      AZURE_CLIENT_ID: DEMO.clientId,
      RUNNER_DEBUG: '1'
    })
    expect(result.code).toBe(0)
    expect(e2e.simulator.requests[0].form).toMatchObject({ client_id: DEMO.clientId, client_assertion: token })
    expect(result.stdout).toContain(`'tenant-id' is empty: using AZURE_TENANT_ID from the environment (${DEMO.tenantId}).`)
    expect(result.stdout).toContain(`'client-id' is empty: using AZURE_CLIENT_ID from the environment (${DEMO.clientId}).`)
    expect(result.stdout).toMatch(/using the federated token file in AZURE_FEDERATED_TOKEN_FILE/)
    expect(leaks(result, { file: token, token: result.outputs.token })).toEqual([])
  })

  it("takes the login host from the webhook's AZURE_AUTHORITY_HOST when 'cloud' and 'authority-host' are empty, and says so", async () => {
    const token = clusterToken()
    const path = file('aks-authority', token)
    const result = await e2e.run(
      { ...NO_APP, 'authority-host': undefined },
      {
        AZURE_FEDERATED_TOKEN_FILE: path,
        AZURE_TENANT_ID: DEMO.tenantId,
        AZURE_CLIENT_ID: DEMO.clientId,
        AZURE_AUTHORITY_HOST: `${e2e.simulator.url}/`,
        RUNNER_DEBUG: '1'
      }
    )
    expect(result.code).toBe(0)
    expect(e2e.simulator.requests).toHaveLength(1)
    expect(result.stdout).toContain(
      `'cloud' and 'authority-host' are empty: using AZURE_AUTHORITY_HOST from the environment (${e2e.simulator.url}), as the AKS workload identity webhook sets it.`
    )
    expect(leaks(result, { file: token, token: result.outputs.token })).toEqual([])
  })

  it('explains a subject mismatch with the claims presented, the AKS subject form, and a safely quoted az command', async () => {
    const token = clusterToken({ sub: 'system:serviceaccount:default:default' })
    const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': file('other-sa', token) }, { RUNNER_DEBUG: '1' })
    expect(result.code).toBe(1)
    const [error] = annotations(result)
    expect(error).toContain('  subject  (sub): system:serviceaccount:default:default  <- differs')
    expect(error).toContain(`  issuer   (iss): ${CLUSTER_ISSUER}\n`)
    expect(error).toContain(
      `az ad app federated-credential create --id ${DEMO.clientId} --parameters '{"name":"federated-system-serviceaccount-default-default","issuer":"${CLUSTER_ISSUER}","subject":"system:serviceaccount:default:default","audiences":["${EXCHANGE}"]}'`
    )
    expect(error).toMatch(/system:serviceaccount:NAMESPACE:NAME/)
    expect(leaks(result, { file: token })).toEqual([])
  })

  itExceptOn('win32', 'named pipes there are not files')('refuses a named pipe at once instead of waiting on it forever', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': fifo, 'timeout-seconds': '5' })
    expect(result.code).toBe(1)
    expect(result.ms).toBeLessThan(3000)
    expect(annotations(result)).toEqual([expect.stringMatching(/is not a regular file/)])
  })

  ;(process.platform === 'linux' ? it : it.skip)(
    `refuses a file that reports a size of 0 but holds far more (/proc/self/pagemap), reading at most 64 KB${process.platform === 'linux' ? '' : ' (skipped: Linux only)'}`,
    async () => {
      const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': '/proc/self/pagemap', 'timeout-seconds': '5' })
      expect(result.code).toBe(1)
      expect(result.ms).toBeLessThan(3000)
      // Linux refuses a read of pagemap that is not a multiple of 8 bytes; either way, one error at once.
      expect(annotations(result)).toEqual([expect.stringMatching(/names \(\/proc\/self\/pagemap\) (is larger than 64 KB|cannot be read)/)])
    }
  )

  it.each([
    ['a missing file', () => join(dir, 'nope'), /names \(.*nope\) does not exist/],
    ['an empty file', () => file('empty', '  \n'), /is empty/],
    ['a file that is not a JWT', () => file('pem', '-----BEGIN PRIVATE KEY-----\nabc\n'), /does not hold a JWT/],
    ['a directory', () => dir, /is not a regular file/],
    ['a file larger than 64 KB', () => file('huge', `${'a'.repeat(70_000)}.b.c`), /is larger than 64 KB/],
    // Masked, it would blank out every a, b and c in the rest of the log.
    ['a file with a "JWT" too short to be real', () => file('tiny', 'a.b.c'), /holds a token 5 characters long, too short to be real/]
  ])('refuses %s before any request, naming the input', async (_, path, message) => {
    const result = await e2e.run({ 'client-secret': undefined, 'federated-token-file': path() })
    expect(result.code).toBe(1)
    expect(e2e.simulator.requests).toHaveLength(0)
    expect(annotations(result)).toEqual([expect.stringMatching(message)])
    expect(annotations(result)[0]).toContain("'federated-token-file'")
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
  })
})

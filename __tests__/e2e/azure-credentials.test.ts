import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClientCertificate } from '../../scripts/certificates.mjs'
import { startManagedIdentityEndpoint } from '../../scripts/managed-identity-endpoint.mjs'
import { baseEnv, finishJob, jobEnv, leftInRunnerTemp, nodeBinary, startJob } from '../../scripts/runner.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { decodeClaims } from '../../src/jwt.js'
import { USER_AGENT } from '../../src/version.js'
import { annotations, DEMO, leaks, startE2e, type Job } from '../helpers/e2e.js'
import { contentOf, processGone, renewalState, waitFor } from '../helpers/renewal.js'

// Later steps that sign in as the app with @azure/identity and only the exported variables, while
// the renewer replaces the assertion file. GitHub's ID tokens and the managed identity's tokens
// live 8 s here, so the file is renewed every 2 s (a quarter of their life).
const CONSUMER = fileURLToPath(new URL('../helpers/azure-identity-consumer.mjs', import.meta.url))
const GITHUB = 'https://token.actions.githubusercontent.com'
const MAIN = 'repo:octo-org/octo-repo:ref:refs/heads/main'
const REQUEST_TOKEN = 'ghs_requestTokenForTheIdTokenEndpoint0123'
const EXCHANGE = 'api://AzureADTokenExchange'
const RUNNER_ID = {
  clientId: '5a5a5a5a-0000-4000-8000-000000000002',
  objectId: '6b6b6b6b-0000-4000-8000-000000000002',
  resourceId:
    '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/runner'
}
const SHORT_S = 8
const CLUSTER = 'https://oidc.prod-aks.azure.com/renewal-test/'
const SERVICE_ACCOUNT = 'system:serviceaccount:arc-runners:arc-runner'
const EXPORTED = [
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE',
  'ARM_CLIENT_ID',
  'ARM_TENANT_ID',
  'ARM_USE_OIDC',
  'ARM_OIDC_TOKEN_FILE_PATH',
  'ARM_ENVIRONMENT'
]

let e2e: Awaited<ReturnType<typeof startE2e>>
let endpoint: Awaited<ReturnType<typeof startManagedIdentityEndpoint>>
let certificate: ReturnType<typeof createClientCertificate>
let job: Job
beforeAll(async () => {
  const dir = makeTempDir('azure-credentials-')
  try {
    certificate = createClientCertificate(dir, 'app')
  } finally {
    removeTempDir(dir)
  }
  e2e = await startE2e({
    oidc: { requestToken: REQUEST_TOKEN, subject: MAIN },
    idTokenLifetime: SHORT_S,
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: DEMO.appName,
        certificates: [certificate.certPem],
        federated: [
          { issuer: GITHUB, subject: MAIN, audience: EXCHANGE },
          { issuer: `https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`, subject: RUNNER_ID.objectId, audience: EXCHANGE },
          { issuer: CLUSTER, subject: SERVICE_ACCOUNT, audience: EXCHANGE }
        ],
        roles: DEMO.roles
      }
    ]
  })
  endpoint = await startManagedIdentityEndpoint({
    tenantId: DEMO.tenantId,
    sign: e2e.simulator.signToken,
    identities: [RUNNER_ID],
    resources: ['https://graph.microsoft.com'],
    lifetime: SHORT_S
  })
})
afterAll(async () => {
  await endpoint.close()
  await e2e.stop()
})
beforeEach(() => {
  e2e.simulator.reset()
  job = startJob()
})
afterEach(async () => {
  await e2e.run({}, {}, { job, post: true })
  finishJob(job)
})

/** A later step: @azure/identity's WorkloadIdentityCredential with the job's exported variables and nothing else. */
function signInLater(): Promise<{ token?: string; error?: string; lookups: string[] }> {
  const env = { ...baseEnv(), ...jobEnv(job), NODE_EXTRA_CA_CERTS: e2e.tls.caPath }
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary(), [CONSUMER], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.stderr.on('data', chunk => (err += chunk))
    child.on('error', reject)
    child.on('close', () => {
      try {
        resolve(JSON.parse(out))
      } catch {
        // Show why the consumer printed no result: its own error, not a JSON parse error.
        reject(new Error(`the @azure/identity consumer printed no result; its stderr: ${err}`))
      }
    })
  })
}

/** The assertions the simulator received from later steps (the action's own requests are the first). */
const assertionsSent = () =>
  e2e.simulator.requests
    .filter(r => r.route === 'token' && !String(r.headers['user-agent']).startsWith(USER_AGENT))
    .map(r => r.form!.client_assertion)

/** Signs in before and after the renewer replaced the assertion file; both work, each with the file's assertion of the moment. */
async function signInAcrossRenewal(assertionFile: string) {
  const before = contentOf(assertionFile)
  const first = await signInLater()
  expect(first).toEqual({ token: expect.any(String), lookups: [] })
  await waitFor('the assertion file to be renewed', () => contentOf(assertionFile) !== before)
  const after = contentOf(assertionFile)
  const second = await signInLater()
  expect(second).toEqual({ token: expect.any(String), lookups: [] })
  expect(first.token).not.toBe(second.token)
  const sent = assertionsSent()
  expect(sent).toHaveLength(2)
  expect(sent[0]).not.toBe(sent[1])
  // Each was the file's content when that step read it (the renewer may have moved on since).
  expect(sent[0]).toBe(before)
  expect([after, contentOf(assertionFile), ...sent.slice(1)]).toContain(sent[1])
  return { before, after }
}

function expectExports() {
  const exported = jobEnv(job) as Record<string, string>
  expect(Object.keys(exported).sort()).toEqual([...EXPORTED].sort())
  expect(exported).toMatchObject({
    AZURE_CLIENT_ID: DEMO.clientId,
    AZURE_TENANT_ID: DEMO.tenantId,
    AZURE_AUTHORITY_HOST: e2e.simulator.url,
    ARM_USE_OIDC: 'true',
    ARM_ENVIRONMENT: 'public'
  })
  expect(exported.ARM_OIDC_TOKEN_FILE_PATH).toBe(exported.AZURE_FEDERATED_TOKEN_FILE)
  return exported.AZURE_FEDERATED_TOKEN_FILE
}

async function postCleansUp() {
  const { pid } = renewalState(job)
  const post = await e2e.run({}, {}, { job, post: true })
  expect(post.code).toBe(0)
  expect(post.stdout).toMatch(/Renewed the client assertion (once|\d+ times); the last renewal at/)
  expect(annotations(post, 'warning')).toEqual([])
  expect(processGone(pid)).toBe(true)
  expect(leftInRunnerTemp(job)).toEqual([])
}

describe('later steps sign in as the app with @azure/identity and the exported variables', () => {
  it('GitHub OIDC: the file holds a GitHub ID token for the exchange audience, renewed before it expires', async () => {
    const main = await e2e.run(
      { 'client-secret': undefined, 'azure-credentials': 'true' },
      { ACTIONS_ID_TOKEN_REQUEST_URL: e2e.simulator.idTokenRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN },
      { job }
    )
    expect(main.code).toBe(0)
    expect(main.outputs['token-file']).toBeUndefined()
    const file = expectExports()
    const claims = decodeClaims(readFileSync(file, 'utf8'))
    expect(claims).toEqual({ claims: expect.objectContaining({ iss: GITHUB, sub: MAIN, aud: EXCHANGE }) })
    // Neither the request token nor any ID token is in a later step's environment or the log.
    expect(readFileSync(job.envFile, 'utf8')).not.toContain(REQUEST_TOKEN)
    const { before, after } = await signInAcrossRenewal(file)
    expect(leaks(main, { REQUEST_TOKEN, before, after })).toEqual([])
    await postCleansUp()
  })

  it('a certificate: the file holds an assertion signed with it, for the token URL; the key stays with the action', async () => {
    const main = await e2e.run(
      { 'client-secret': undefined, 'client-certificate': certificate.pem, 'azure-credentials': 'true' },
      {},
      { job }
    )
    expect(main.code).toBe(0)
    const file = expectExports()
    const assertion = readFileSync(file, 'utf8')
    const claims = decodeClaims(assertion)
    expect(claims).toEqual({
      claims: expect.objectContaining({
        iss: DEMO.clientId,
        sub: DEMO.clientId,
        aud: `${e2e.simulator.url}/${DEMO.tenantId}/oauth2/v2.0/token`
      })
    })
    // Ten minutes, renewed every four (unit-tested in renewal-schedule): no renewal within this test.
    const { exp, nbf } = (claims as { claims: { exp: number; nbf: number } }).claims
    expect(exp - nbf).toBe(600)
    expect(readFileSync(job.envFile, 'utf8')).not.toContain(certificate.keyPem.split('\n')[1])
    const later = await signInLater()
    expect(later).toEqual({ token: expect.any(String), lookups: [] })
    expect(assertionsSent()).toEqual([assertion])
    expect(leaks(main, { key: certificate.keyPem, assertion })).toEqual([])
    const post = await e2e.run({}, {}, { job, post: true })
    expect(post.stdout).toMatch(/No renewal was due before the job ended/)
    expect(leftInRunnerTemp(job)).toEqual([])
  })

  it("a managed identity as the app's credential: the file holds its token for the exchange audience, renewed", async () => {
    const main = await e2e.run(
      { 'client-secret': undefined, 'managed-identity': RUNNER_ID.clientId, 'azure-credentials': 'true' },
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint.imdsUrl },
      { job }
    )
    expect(main.code).toBe(0)
    const file = expectExports()
    expect(decodeClaims(readFileSync(file, 'utf8'))).toEqual({
      claims: expect.objectContaining({ aud: EXCHANGE, sub: RUNNER_ID.objectId })
    })
    await signInAcrossRenewal(file)
    await postCleansUp()
  })
})

it('a federated token file (AKS) is exported as it is, also with keep-fresh renewing the token', async () => {
  const dir = makeTempDir('aks-')
  try {
    const file = join(dir, 'azure-identity-token')
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: CLUSTER, sub: SERVICE_ACCOUNT, aud: EXCHANGE, iat: now, nbf: now, exp: now + 3600 }
    writeFileSync(file, e2e.simulator.signClusterToken(claims))
    const main = await e2e.run(
      { 'client-secret': undefined, 'federated-token-file': file, 'azure-credentials': 'true', 'keep-fresh': 'true' },
      {},
      { job }
    )
    expect(main.code).toBe(0)
    expect(expectExports()).toBe(file)
    expect(main.outputs['token-file']).toBeTruthy()
    expect(await signInLater()).toEqual({ token: expect.any(String), lookups: [] })
  } finally {
    removeTempDir(dir)
  }
})

describe("a managed identity's own token: later steps use the identity itself", () => {
  const own = { 'client-secret': undefined, 'tenant-id': undefined, 'client-id': undefined, 'azure-credentials': 'true' }
  const env = () => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint.imdsUrl })

  it('by client ID: AZURE_CLIENT_ID is exported, which the SDKs read', async () => {
    const main = await e2e.run({ ...own, 'managed-identity': RUNNER_ID.clientId }, env(), { job })
    expect(main.code).toBe(0)
    expect(jobEnv(job)).toEqual({ AZURE_CLIENT_ID: RUNNER_ID.clientId })
    expect(annotations(main, 'warning').filter(w => w.includes('azure-credentials'))).toEqual([])
  })

  it.each([
    ['object ID', `object-id:${RUNNER_ID.objectId}`, /objectId/],
    ['resource ID', RUNNER_ID.resourceId, /resourceId/]
  ])('by %s: nothing a later step reads names it, and a warning says how to name it', async (what, value, option) => {
    const main = await e2e.run({ ...own, 'managed-identity': value }, env(), { job })
    expect(main.code).toBe(0)
    expect(jobEnv(job)).toEqual({})
    // (The identity has no Graph roles here: the role-less warning is not this test's.)
    const [warning, ...more] = annotations(main, 'warning').filter(w => w.includes('azure-credentials'))
    expect(more).toEqual([])
    expect(warning).toContain(`no variable names a user-assigned identity by its ${what}`)
    expect(warning).toMatch(option)
  })
})

it('refuses azure-credentials with a client secret before any request', async () => {
  const main = await e2e.run({ 'azure-credentials': 'true' }, {}, { job })
  expect(main.code).toBe(1)
  expect(annotations(main)).toEqual([
    expect.stringMatching(/^'azure-credentials' is true, but the credential is 'client-secret'.*Use 'client-certificate' or GitHub OIDC/s)
  ])
  expect(e2e.simulator.requests).toEqual([])
  expect(jobEnv(job)).toEqual({})
})

import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { entraError } from '../fixtures/entra-errors.js'
import { annotations, DEMO, leaks, masks, startE2e } from '../helpers/e2e.js'

const ISSUER = 'https://token.actions.githubusercontent.com'
const MAIN = 'repo:octo-org/octo-repo:ref:refs/heads/main'
const REQUEST_TOKEN = 'ghs_requestTokenForTheIdTokenEndpoint0123'
const oidc = { requestToken: REQUEST_TOKEN, subject: MAIN }

let e2e: Awaited<ReturnType<typeof startE2e>>
beforeAll(async () => {
  e2e = await startE2e({
    oidc,
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: DEMO.appName,
        federated: [
          { issuer: ISSUER, subject: MAIN, audience: 'api://AzureADTokenExchange' },
          { issuer: ISSUER, subject: MAIN, audience: 'api://octo-custom' }
        ],
        roles: ['User.Read.All']
      }
    ]
  })
})
afterAll(() => e2e.stop())
beforeEach(() => {
  e2e.simulator.reset()
  oidc.subject = MAIN
})

/** A job with `permissions: id-token: write` and no secret. */
function runOidc(inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return e2e.run(
    { 'client-secret': undefined, ...inputs },
    {
      ACTIONS_ID_TOKEN_REQUEST_URL: e2e.simulator.idTokenRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      RUNNER_DEBUG: '1',
      ...env
    }
  )
}

function secrets(result: { outputs: Record<string, string> }) {
  const idTokens = e2e.simulator.requests.filter(r => r.route === 'token').map(r => r.form!.client_assertion)
  return { requestToken: REQUEST_TOKEN, token: result.outputs.token, ...Object.fromEntries(idTokens.map((t, i) => [`idToken${i}`, t])) }
}

it('exchanges the job ID token for an access token: two requests, no secret, nothing leaked', async () => {
  const result = await runOidc()
  expect(result.code).toBe(0)
  const [idRequest, tokenRequest] = e2e.simulator.requests
  expect(e2e.simulator.requests).toHaveLength(2)
  expect(idRequest.route).toBe('idtoken')
  expect(new URL(idRequest.url, 'https://x').searchParams.get('audience')).toBe('api://AzureADTokenExchange')
  expect(idRequest.headers.authorization).toBe(`Bearer ${REQUEST_TOKEN}`)
  expect(tokenRequest.form).toMatchObject({
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_id: DEMO.clientId
  })
  expect(tokenRequest.form).not.toHaveProperty('client_secret')
  expect(masks(result)).toEqual([REQUEST_TOKEN, tokenRequest.form!.client_assertion, result.outputs.token])
  expect(result.outputs.roles).toBe('User.Read.All')
  expect(leaks(result, secrets(result))).toEqual([])
})

it('asks for a custom oidc-audience', async () => {
  const result = await runOidc({ 'oidc-audience': 'api://octo-custom' })
  expect(result.code).toBe(0)
  expect(new URL(e2e.simulator.requests[0].url, 'https://x').searchParams.get('audience')).toBe('api://octo-custom')
})

it('retries a failing ID-token endpoint, then succeeds', async () => {
  e2e.simulator.inject('idtoken', { status: 503, body: 'unavailable', contentType: 'text/plain' }, { reset: true })
  const result = await runOidc()
  expect(result.code).toBe(0)
  expect(e2e.simulator.requests.map(r => r.route)).toEqual(['idtoken', 'idtoken', 'idtoken', 'token'])
  expect(leaks(result, secrets(result))).toEqual([])
})

it("bounds each kind of request by 'max-attempts': both endpoints failing 3 times take 4 requests each", async () => {
  const busy = { status: 503, body: 'unavailable', contentType: 'text/plain' }
  e2e.simulator.inject('idtoken', busy, busy, busy)
  e2e.simulator.inject('token', busy, busy, busy)
  const result = await runOidc({ 'max-attempts': '4' })
  expect(result.code).toBe(0)
  // The ID token is fetched until one comes, then sent with every token request while it is valid.
  expect(e2e.simulator.requests.map(r => r.route)).toEqual(['idtoken', 'idtoken', 'idtoken', 'idtoken', 'token', 'token', 'token', 'token'])
  expect(new Set(e2e.simulator.requests.filter(r => r.route === 'token').map(r => r.form!.client_assertion)).size).toBe(1)
  expect(leaks(result, secrets(result))).toEqual([])
})

it('explains a subject mismatch with the claims presented and the federated credential that would match', async () => {
  oidc.subject = 'repo:octo-org/octo-repo:environment:production'
  const result = await runOidc()
  expect(result.code).toBe(1)
  const [error] = annotations(result)
  expect(error).toMatch(
    /^Entra ID refused the token request \(AADSTS700213, HTTP 401\): No federated credential matches the token's subject\./
  )
  expect(error).toContain('  subject  (sub): repo:octo-org/octo-repo:environment:production  <- differs')
  expect(error).toContain(`  issuer   (iss): ${ISSUER}\n`)
  expect(error).toContain('  audience (aud): api://AzureADTokenExchange\n')
  expect(error).toContain(
    `az ad app federated-credential create --id ${DEMO.clientId} --parameters '{"name":"github-repo-octo-org-octo-repo-environment-production","issuer":"${ISSUER}","subject":"repo:octo-org/octo-repo:environment:production","audiences":["api://AzureADTokenExchange"]}'`
  )
  expect(error).toContain("A job with 'environment:' presents repo:OWNER/REPO:environment:NAME")
  expect(leaks(result, secrets(result))).toEqual([])
})

it('says in the log that GitHub OIDC took the place of the AKS token file, and names the file under AADSTS70021', async () => {
  const file = join('tokens', 'azure-identity-token')
  e2e.simulator.inject('token', {
    status: 401,
    body: JSON.stringify(entraError(70021, 'invalid_request', 'No matching federated identity record found for presented assertion.')),
    contentType: 'application/json'
  })
  const result = await runOidc({}, { AZURE_FEDERATED_TOKEN_FILE: file })
  expect(result.code).toBe(1)
  expect(result.stdout).toContain(
    `AZURE_FEDERATED_TOKEN_FILE is set (${file}, the AKS workload identity webhook's token file), but this job can get a GitHub ID token: GitHub OIDC is used, and the file is not.`
  )
  const [error] = annotations(result)
  expect(error).toMatch(/AADSTS70021/)
  expect(error).toContain(
    `The GitHub ID token was sent, not the AKS workload identity token in AZURE_FEDERATED_TOKEN_FILE (${file}): GitHub OIDC comes first.`
  )
  expect(leaks(result, secrets(result))).toEqual([])
})

it('prints an az command that is safe to paste, even for a branch name with a quote in it', async () => {
  // Git allows ' in branch names; in today's single quotes it would end the string and run the rest.
  oidc.subject = "repo:octo-org/octo-repo:ref:refs/heads/x';touch pwned;'"
  const [error] = annotations(await runOidc())
  const line = error.split('\n').find(l => l.trimStart().startsWith('az ad app federated-credential create'))!
  const dir = makeTempDir('paste-')
  try {
    // az replaced by a function that records its arguments, NUL-separated.
    execFileSync('bash', ['-c', `az() { printf '%s\\0' "$@" > args; }\n${line}`], { cwd: dir })
    expect(readdirSync(dir)).toEqual(['args'])
    const args = readFileSync(join(dir, 'args'), 'utf8').split('\0').slice(0, -1)
    expect(args.slice(0, 6)).toEqual(['ad', 'app', 'federated-credential', 'create', '--id', DEMO.clientId])
    expect(args[6]).toBe('--parameters')
    expect(JSON.parse(args[7])).toMatchObject({ issuer: ISSUER, subject: oidc.subject, audiences: ['api://AzureADTokenExchange'] })
    expect(args).toHaveLength(8)
  } finally {
    removeTempDir(dir)
  }
})

it('tells a case-only subject mismatch apart', async () => {
  oidc.subject = 'repo:Octo-Org/octo-repo:ref:refs/heads/main'
  const [error] = annotations(await runOidc())
  expect(error).toMatch(/AADSTS7002138.*only when case is ignored/)
})

it('explains an audience mismatch, naming oidc-audience', async () => {
  const result = await runOidc({ 'oidc-audience': 'api://some-other-audience' })
  const [error] = annotations(result)
  expect(error).toMatch(/AADSTS700212/)
  expect(error).toContain("'oidc-audience' is 'api://some-other-audience', not this cloud's default api://AzureADTokenExchange")
  expect(error).toContain('never append /.default')
  expect(leaks(result, secrets(result))).toEqual([])
})

it('refuses an oidc-audience ending in /.default before any request', async () => {
  const result = await runOidc({ 'oidc-audience': 'api://AzureADTokenExchange/.default' })
  expect(result.code).toBe(1)
  expect(e2e.simulator.requests).toHaveLength(0)
  expect(annotations(result)).toEqual([expect.stringMatching(/^'oidc-audience' ends in \/\.default/)])
})

it('without id-token permission fails before any request, showing the permissions block', async () => {
  const result = await e2e.run({ 'client-secret': '' })
  expect(result.code).toBe(1)
  expect(e2e.simulator.requests).toHaveLength(0)
  const [error] = annotations(result)
  expect(error).toContain(
    "this block:\n     permissions:\n       id-token: write\n   A job's 'permissions:' turns off every permission it does not name"
  )
  expect(error).toMatch(/fork and Dependabot runs never get an ID token/)
  expect(error).toMatch(/secret that does not exist .* expands to an empty string/)
})

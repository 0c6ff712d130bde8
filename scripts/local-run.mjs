// `npm start`: runs the built action exactly as a workflow step would, and shows its log the way
// the runner does (masks applied, workflow commands rendered), then the outputs. Its exit status
// is the action's, as the runner judges a step: a run killed by a signal is a failure.
//
// With none of the variables below it asks a local Entra ID simulator on 127.0.0.1, so the whole
// job can be seen working without a tenant. With TENANT_ID, CLIENT_ID and CLIENT_SECRET (or
// CLIENT_CERTIFICATE_FILE, and CLIENT_CERTIFICATE_PASSWORD if the key is encrypted) it asks the
// real Entra ID; with only some of them it says what is missing rather than guess. SCOPE, CLOUD,
// REQUIRED_ROLES and RUNNER_DEBUG=1 apply to both, and so does any INPUT_<NAME> variable, as the
// step's `with:` (INPUT_SCOPE; a hyphenated name through `env 'INPUT_MAX-ATTEMPTS=1' node
// scripts/local-run.mjs`, since npm's `sh` may be dash, which drops such names): it wins over what npm
// start sets, and one that action.yml does not declare gets the runner's warning, as in a workflow
// (a typo such as INPUT_TENANT_ID, which the action never reads). Against the simulator, SIMULATE
// picks the credential: 'managed-identity' (a VM's system-assigned identity, at a local fake IMDS),
// 'managed-identity-app' (a user-assigned identity as the app's credential), 'workload-identity'
// (an AKS pod: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID); by default, a
// client secret. KEEP_FRESH=1 runs it with keep-fresh against short-lived tokens: the renewals,
// then the post step.
import { createServerTls, OpensslMissingError } from './certificates.mjs'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DEMO, startEntraSimulator } from './entra-simulator.mjs'
import { startManagedIdentityEndpoint } from './managed-identity-endpoint.mjs'
import { exitStatus, finishJob, runAction, startJob, unescapeCommandValue } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

/** A problem npm start explains in one line, with the fix, instead of a stack trace. */
class SetupError extends Error {}

const env = process.env
const REAL = ['TENANT_ID', 'CLIENT_ID', 'CLIENT_SECRET', 'CLIENT_CERTIFICATE_FILE', 'CLIENT_CERTIFICATE_PASSWORD']
const common = { scope: env.SCOPE, cloud: env.CLOUD, 'required-roles': env.REQUIRED_ROLES, 'job-summary': 'true' }
// The calling shell's INPUT_* variables, by input name as inputEnv spells it back (INPUT_FOO_BAR: foo_bar).
const shellInputs = Object.fromEntries(
  Object.entries(env)
    .filter(([name]) => name.startsWith('INPUT_') && name.length > 'INPUT_'.length)
    .map(([name, value]) => [name.slice('INPUT_'.length).toLowerCase(), value])
)
const debug = env.RUNNER_DEBUG === '1' ? { RUNNER_DEBUG: '1' } : {}
const keepFresh = env.KEEP_FRESH === '1'
const masks = []
// The demo runner's identities, for SIMULATE: a system-assigned one with Graph roles of its own, a
// user-assigned one the demo app trusts, and an AKS service account the demo app trusts.
const RUNNER = {
  system: {
    clientId: '5a5a5a5a-0000-4000-8000-000000000001',
    objectId: '6b6b6b6b-0000-4000-8000-000000000001',
    system: true,
    roles: DEMO.roles
  },
  userAssigned: { clientId: '5a5a5a5a-0000-4000-8000-000000000002', objectId: '6b6b6b6b-0000-4000-8000-000000000002' },
  clusterIssuer: 'https://oidc.prod-aks.azure.com/demo-cluster/',
  serviceAccount: 'system:serviceaccount:arc-runners:arc-runner'
}
const SIMULATIONS = ['client-secret', 'managed-identity', 'managed-identity-app', 'workload-identity']
// The action's own hint for input that is not PEM (src/credentials/certificate.ts); the test of
// npm start checks that both say the same.
const PEM_HINT =
  'Give the certificate and its private key as PEM (for a .pfx: openssl pkcs12 -in cert.pfx -nodes -out cert.pem), the whole file including the BEGIN and END lines.'

exitOnSignals()
try {
  const result = REAL.some(name => env[name]) ? await askEntra() : await askSimulator()
  show(result)
  const { status, reason } = exitStatus(result)
  console.log(`\n${reason} (${Math.round(result.ms)} ms)`)
  process.exitCode = status
} catch (error) {
  if (!(error instanceof SetupError || error instanceof OpensslMissingError)) throw error
  console.error(`npm start: ${error.message}`)
  process.exitCode = 1
}

/** The real Entra ID, when every variable it needs is set; otherwise a SetupError naming the others. */
async function askEntra() {
  const set = REAL.filter(name => env[name])
  const missing = ['TENANT_ID', 'CLIENT_ID'].filter(name => !env[name])
  if (!env.CLIENT_SECRET && !env.CLIENT_CERTIFICATE_FILE) {
    missing.push(env.CLIENT_CERTIFICATE_PASSWORD ? 'CLIENT_CERTIFICATE_FILE' : 'CLIENT_SECRET (or CLIENT_CERTIFICATE_FILE)')
  }
  if (missing.length > 0) {
    const certificateOnly = !env.TENANT_ID && !env.CLIENT_ID && !env.CLIENT_SECRET
    throw new SetupError(
      `${list(set)} ${set.length > 1 ? 'are' : 'is'} set, so npm start would ask the real Entra ID, but ${list(missing)} ` +
        `${missing.length > 1 ? 'are' : 'is'} not. Set ${missing.length > 1 ? 'them' : 'it'} too, or unset ${list(set)} to use the local simulator` +
        (certificateOnly ? ' (which knows only its own demo app and secret, not your certificate).' : '.')
    )
  }
  const certificate = env.CLIENT_CERTIFICATE_FILE ? readCertificate(env.CLIENT_CERTIFICATE_FILE) : undefined
  console.log(`Asking the real Entra ID for tenant ${env.TENANT_ID}, app ${env.CLIENT_ID}.\n`)
  return runAction({
    inputs: stepInputs({
      'tenant-id': env.TENANT_ID,
      'client-id': env.CLIENT_ID,
      'client-secret': env.CLIENT_SECRET,
      'client-certificate': certificate,
      'client-certificate-password': env.CLIENT_CERTIFICATE_PASSWORD
    }),
    env: { ...debug, ...proxyEnv() }
  })
}

/** The built-in simulator with its demo tenant and app, over a throw-away CA; SIMULATE picks the credential. */
async function askSimulator() {
  const simulate = env.SIMULATE || 'client-secret'
  if (!SIMULATIONS.includes(simulate)) throw new SetupError(`SIMULATE is '${simulate}'; use one of: ${SIMULATIONS.join(', ')}.`)
  const dir = makeTempDir('start-')
  try {
    const tls = createServerTls(dir)
    const exchange = 'api://AzureADTokenExchange'
    const simulator = await startEntraSimulator({
      tls,
      // KEEP_FRESH=1: tokens of 10 s, renewed after 3 (refresh_in), to watch renewals in seconds.
      ...(keepFresh ? { expiresIn: 10, refreshIn: 3 } : {}),
      apps: [
        {
          clientId: DEMO.clientId,
          displayName: DEMO.appName,
          secrets: [{ value: DEMO.clientSecret }],
          roles: DEMO.roles,
          federated: [
            {
              issuer: `https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`,
              subject: RUNNER.userAssigned.objectId,
              audience: exchange
            },
            { issuer: RUNNER.clusterIssuer, subject: RUNNER.serviceAccount, audience: exchange }
          ]
        }
      ]
    })
    const endpoint = await startManagedIdentityEndpoint({
      tenantId: DEMO.tenantId,
      sign: simulator.signToken,
      identities: [RUNNER.system, RUNNER.userAssigned],
      resources: ['https://graph.microsoft.com']
    })
    try {
      console.log(
        `Asking the local Entra ID simulator at ${simulator.url} with ${simulate} (SIMULATE=${SIMULATIONS.join('|')}; set TENANT_ID, CLIENT_ID and CLIENT_SECRET to ask the real Entra ID).\n`
      )
      const app = { 'tenant-id': DEMO.domain, 'client-id': DEMO.clientId, 'authority-host': simulator.url }
      const machine = { NODE_EXTRA_CA_CERTS: tls.caPath, AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint.imdsUrl, ...debug }
      const now = Math.floor(Date.now() / 1000)
      const runs = {
        'client-secret': () => ({ inputs: { ...app, 'client-secret': DEMO.clientSecret }, env: machine }),
        'managed-identity': () => ({ inputs: { 'managed-identity': 'system' }, env: machine }),
        'managed-identity-app': () => ({ inputs: { ...app, 'managed-identity': RUNNER.userAssigned.clientId }, env: machine }),
        'workload-identity': () => {
          const file = join(dir, 'azure-identity-token')
          const claims = { iss: RUNNER.clusterIssuer, sub: RUNNER.serviceAccount, aud: exchange, iat: now, nbf: now, exp: now + 3600 }
          writeFileSync(file, simulator.signClusterToken(claims))
          return {
            inputs: { 'authority-host': simulator.url },
            env: { ...machine, AZURE_FEDERATED_TOKEN_FILE: file, AZURE_TENANT_ID: DEMO.tenantId, AZURE_CLIENT_ID: DEMO.clientId }
          }
        }
      }
      const { inputs, env: runEnv } = runs[simulate]()
      if (keepFresh) return await watchRenewals(stepInputs({ ...inputs, 'keep-fresh': 'true' }), runEnv)
      return await runAction({ inputs: stepInputs(inputs), env: runEnv })
    } finally {
      await endpoint.close()
      await simulator.close()
    }
  } finally {
    removeTempDir(dir)
  }
}

/**
 * KEEP_FRESH=1: the main step with keep-fresh, as a job runs it; then, as later steps would, the
 * token file watched for 10 s (each renewal shown by time and status, never the token); then the
 * post step, whose result is returned to be shown like a step's.
 */
async function watchRenewals(inputs, runEnv) {
  const job = startJob()
  try {
    const main = await runAction({ inputs, env: runEnv, job })
    show(main)
    const tokenFile = main.outputs['token-file']
    if (main.code !== 0 || !tokenFile) return main
    console.log('\n── later steps: the token file for 10 s ──')
    // The status file, not the token: the renewer writes the token first and then its status, so
    // a change of token could be shown with the status of the renewal before.
    const statusFile = join(dirname(tokenFile), 'status.json')
    const renewals = () => JSON.parse(readFileSync(statusFile, 'utf8'))
    let seen = renewals().renewals.token
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      await new Promise(resolve => setTimeout(resolve, 200))
      const status = renewals()
      if (status.renewals.token === seen) continue
      seen = status.renewals.token
      console.log(`${status.lastRenewal} renewed (${seen} so far; next at ${status.nextRenewal})`)
    }
    console.log('\n── post step ──')
    return await runAction({ inputs, env: runEnv, job, post: true })
  } finally {
    finishJob(job)
  }
}

/** A run's inputs: the common ones, the credential's, then the shell's INPUT_* variables. */
function stepInputs(inputs) {
  return { ...common, ...inputs, ...shellInputs }
}

function readCertificate(path) {
  let bytes
  try {
    bytes = readFileSync(path)
  } catch (error) {
    const why = { ENOENT: 'there is no such file', EISDIR: 'it is a directory', EACCES: 'it cannot be read' }[error.code] ?? error.message
    throw new SetupError(`CLIENT_CERTIFICATE_FILE is ${path}, but ${why}. Set it to the PEM file with the certificate and its private key.`)
  }
  // A .pfx or DER file is binary: a NUL byte cannot go into an input (an environment variable),
  // and no byte of it is printed.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  if (bytes.includes(0) || text.includes('\uFFFD')) {
    throw new SetupError(`CLIENT_CERTIFICATE_FILE is ${path}, a binary file, not PEM text. ${PEM_HINT}`)
  }
  return text
}

function list(names) {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]
}

function show(result) {
  console.log('── step log (as the runner shows it) ──')
  for (const warning of result.warnings) console.log(`Warning: ${warning}`)
  for (const line of (result.stdout + result.stderr).split(/\r?\n/)) {
    const shown = renderCommand(line)
    if (shown !== undefined) console.log(masked(shown))
  }
  console.log(`\n── outputs ──`)
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${masked(value)}`)
  if (result.summary) console.log(`\n── job summary ──\n${masked(result.summary)}`)
}

/** What the runner shows for one line of stdout; undefined for lines it consumes or hides. */
function renderCommand(line) {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
  if (!command) return line || undefined
  const [, name, raw] = command
  const text = unescapeCommandValue(raw)
  if (name === 'add-mask') {
    masks.push(text)
    return undefined
  }
  if (name === 'debug') return env.RUNNER_DEBUG === '1' ? `##[debug]${text}` : undefined
  const labels = { error: 'Error', warning: 'Warning', notice: 'Notice' }
  return labels[name] ? `${labels[name]}: ${text}` : text
}

function masked(text) {
  return masks.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text)
}

function proxyEnv() {
  const names = ['https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY', 'NODE_EXTRA_CA_CERTS']
  return Object.fromEntries(names.filter(n => env[n]).map(n => [n, env[n]]))
}

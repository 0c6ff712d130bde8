// `npm start`: runs the built action exactly as a workflow step would, and shows its log the way
// the runner does (masks applied, workflow commands rendered), then the outputs. Its exit status
// is the action's, as the runner judges a step: a run killed by a signal is a failure.
//
// With none of the variables below it asks a local Entra ID simulator on 127.0.0.1, so the whole
// job can be seen working without a tenant. With TENANT_ID, CLIENT_ID and CLIENT_SECRET (or
// CLIENT_CERTIFICATE_FILE, and CLIENT_CERTIFICATE_PASSWORD if the key is encrypted) it asks the
// real Entra ID; with only some of them it says what is missing rather than guess. SCOPE, CLOUD,
// REQUIRED_ROLES and RUNNER_DEBUG=1 apply to both.
import { readFileSync } from 'node:fs'
import { createServerTls, OpensslMissingError } from './certificates.mjs'
import { DEMO, startEntraSimulator } from './entra-simulator.mjs'
import { exitStatus, runAction, unescapeCommandValue } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

/** A problem npm start explains in one line, with the fix, instead of a stack trace. */
class SetupError extends Error {}

const env = process.env
const REAL = ['TENANT_ID', 'CLIENT_ID', 'CLIENT_SECRET', 'CLIENT_CERTIFICATE_FILE', 'CLIENT_CERTIFICATE_PASSWORD']
const common = { scope: env.SCOPE, cloud: env.CLOUD, 'required-roles': env.REQUIRED_ROLES, 'job-summary': 'true' }
const debug = env.RUNNER_DEBUG === '1' ? { RUNNER_DEBUG: '1' } : {}
const masks = []

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
    inputs: {
      ...common,
      'tenant-id': env.TENANT_ID,
      'client-id': env.CLIENT_ID,
      'client-secret': env.CLIENT_SECRET,
      'client-certificate': certificate,
      'client-certificate-password': env.CLIENT_CERTIFICATE_PASSWORD
    },
    env: { ...debug, ...proxyEnv() }
  })
}

/** The built-in simulator with its demo tenant, app and secret, over a throw-away CA. */
async function askSimulator() {
  const dir = makeTempDir('start-')
  try {
    const tls = createServerTls(dir)
    const simulator = await startEntraSimulator({ tls })
    try {
      console.log(
        `Asking the local Entra ID simulator at ${simulator.url} (set TENANT_ID, CLIENT_ID and CLIENT_SECRET to ask the real Entra ID).\n`
      )
      return await runAction({
        inputs: {
          ...common,
          'tenant-id': DEMO.domain,
          'client-id': DEMO.clientId,
          'client-secret': DEMO.clientSecret,
          'authority-host': simulator.url
        },
        env: { NODE_EXTRA_CA_CERTS: tls.caPath, ...debug }
      })
    } finally {
      await simulator.close()
    }
  } finally {
    removeTempDir(dir)
  }
}

function readCertificate(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const why = { ENOENT: 'there is no such file', EISDIR: 'it is a directory', EACCES: 'it cannot be read' }[error.code] ?? error.message
    throw new SetupError(`CLIENT_CERTIFICATE_FILE is ${path}, but ${why}. Set it to the PEM file with the certificate and its private key.`)
  }
}

function list(names) {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]
}

function show(result) {
  console.log('── step log (as the runner shows it) ──')
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

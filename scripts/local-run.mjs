// `npm start`: runs the built action exactly as a workflow step would, and shows its log the way
// the runner does (masks applied, workflow commands rendered), then the outputs.
//
// With no configuration it asks a local Entra ID simulator on 127.0.0.1, so the whole job can be
// seen working without a tenant. With TENANT_ID, CLIENT_ID and CLIENT_SECRET (or
// CLIENT_CERTIFICATE_FILE, and CLIENT_CERTIFICATE_PASSWORD if the key is encrypted) in the
// environment it asks the real Entra ID. SCOPE, CLOUD, REQUIRED_ROLES and RUNNER_DEBUG=1 apply too.
import { readFileSync, rmSync } from 'node:fs'
import { createServerTls, makeTempDir } from './certificates.mjs'
import { DEMO, startEntraSimulator } from './entra-simulator.mjs'
import { runAction, unescapeCommandValue } from './runner.mjs'

const env = process.env
const real = Boolean(env.TENANT_ID && env.CLIENT_ID && (env.CLIENT_SECRET || env.CLIENT_CERTIFICATE_FILE))
const common = { scope: env.SCOPE, cloud: env.CLOUD, 'required-roles': env.REQUIRED_ROLES, 'job-summary': 'true' }
const debug = env.RUNNER_DEBUG === '1' ? { RUNNER_DEBUG: '1' } : {}

let result
if (real) {
  console.log(`Asking the real Entra ID for tenant ${env.TENANT_ID}, app ${env.CLIENT_ID}.\n`)
  result = await runAction({
    inputs: {
      ...common,
      'tenant-id': env.TENANT_ID,
      'client-id': env.CLIENT_ID,
      'client-secret': env.CLIENT_SECRET,
      'client-certificate': env.CLIENT_CERTIFICATE_FILE ? readFileSync(env.CLIENT_CERTIFICATE_FILE, 'utf8') : undefined,
      'client-certificate-password': env.CLIENT_CERTIFICATE_PASSWORD
    },
    env: { ...debug, ...proxyEnv() }
  })
} else {
  const dir = makeTempDir('graph-token-start-')
  const tls = createServerTls(dir)
  const simulator = await startEntraSimulator({ tls })
  console.log(
    `Asking the local Entra ID simulator at ${simulator.url} (set TENANT_ID, CLIENT_ID and CLIENT_SECRET to ask the real Entra ID).\n`
  )
  try {
    result = await runAction({
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
    rmSync(dir, { recursive: true, force: true })
  }
}

const masks = []
console.log('── step log (as the runner shows it) ──')
for (const line of (result.stdout + result.stderr).split('\n')) {
  const shown = renderCommand(line)
  if (shown !== undefined) console.log(masked(shown))
}
console.log(`\n── outputs ──`)
for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${masked(value)}`)
if (result.summary) console.log(`\n── job summary ──\n${masked(result.summary)}`)
console.log(`\nexit code ${result.code} (${Math.round(result.ms)} ms)`)
process.exitCode = result.code

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

// `npm run bench`: what the action costs a job, against the floor of a bare Node script that
// does the same single HTTPS POST with node:https and writes the output file. Both run as whole
// processes on Node 24 (the node24 runtime), alternating, after a warm-up, against the local
// Entra ID simulator. Prints the figures; `npm run bench -- --out FILE` also writes them to FILE
// as JSON. It leaves nothing else behind.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClientCertificate, createServerTls } from './certificates.mjs'
import { DEMO, startEntraSimulator } from './entra-simulator.mjs'
import { startManagedIdentityEndpoint } from './managed-identity-endpoint.mjs'
import { finishJob, nodeBinary, ROOT, runAction, startJob } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 20)
// Another build of the action (say, main's dist/index.js copied aside) to measure in the same
// alternation, so a change's cost is compared on the same machine in the same minute.
const BASELINE = process.env.BENCH_BASELINE
const WARMUP = 3
// The keys, certificates and the floor script live here; the exit handler removes it whatever
// happens, the simulator is closed in the finally block at the end.
exitOnSignals()
const dir = makeTempDir('bench-')
const tls = createServerTls(dir)
const certificate = createClientCertificate(dir, 'bench')
const REQUEST_TOKEN = 'bench-request-token'
// A user-assigned managed identity and a cluster issuer the demo app trusts, for the request counts.
const IDENTITY = { clientId: '5a5a5a5a-0000-4000-8000-000000000002', objectId: '6b6b6b6b-0000-4000-8000-000000000002', roles: DEMO.roles }
const CLUSTER_ISSUER = 'https://oidc.prod-aks.azure.com/bench/'
const SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main'
const simulator = await startEntraSimulator({
  tls,
  expiresIn: 3599,
  oidc: { requestToken: REQUEST_TOKEN, subject: SUBJECT },
  apps: [
    {
      clientId: DEMO.clientId,
      displayName: DEMO.appName,
      secrets: [{ value: DEMO.clientSecret }],
      certificates: [certificate.certPem],
      federated: [
        { issuer: 'https://token.actions.githubusercontent.com', subject: SUBJECT, audience: 'api://AzureADTokenExchange' },
        {
          issuer: `https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`,
          subject: IDENTITY.objectId,
          audience: 'api://AzureADTokenExchange'
        },
        { issuer: CLUSTER_ISSUER, subject: SUBJECT, audience: 'api://AzureADTokenExchange' }
      ],
      roles: DEMO.roles
    }
  ]
})

try {
  // The floor: what a careful hand-written step would do, and nothing more.
  const floor = join(dir, 'floor.mjs')
  writeFileSync(
    floor,
    `import https from 'node:https'
  import { appendFileSync } from 'node:fs'
  const body = new URLSearchParams({ client_id: process.env.CLIENT_ID, client_secret: process.env.CLIENT_SECRET, grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }).toString()
  const req = https.request(process.env.TOKEN_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, res => {
    let text = ''
    res.on('data', c => (text += c))
    res.on('end', () => {
      const { access_token } = JSON.parse(text)
      console.log('::add-mask::' + access_token)
      appendFileSync(process.env.GITHUB_OUTPUT, 'token=' + access_token + '\\n')
    })
  })
  req.end(body)
  `
  )

  const withCa = env => ({ NODE_EXTRA_CA_CERTS: tls.caPath, ...env })
  const secretInputs = { 'client-secret': DEMO.clientSecret }
  const actionRun = (inputs = secretInputs, env = {}) => ({
    inputs: { 'tenant-id': DEMO.tenantId, 'client-id': DEMO.clientId, 'authority-host': simulator.url, ...inputs },
    env: withCa(env)
  })
  // The same runner environment for the floor; it reads its three values from plain variables.
  const floorRun = {
    script: floor,
    env: withCa({
      TOKEN_URL: `${simulator.url}/${DEMO.tenantId}/oauth2/v2.0/token`,
      CLIENT_ID: DEMO.clientId,
      CLIENT_SECRET: DEMO.clientSecret
    })
  }

  /** Wall time of one whole process, spawn to exit, in ms; and its peak RSS when asked. */
  async function time(run, { rss = false } = {}) {
    const nodeArgs = rss
      ? ['--import', 'data:text/javascript,process.on("exit",()=>process.stderr.write("RSS "+process.resourceUsage().maxRSS+"\\n"))']
      : []
    const result = await runAction({ ...run, nodeArgs })
    if (result.code !== 0) throw new Error(`${run.script ?? 'dist/index.js'} exited ${result.code}: ${result.stderr}`)
    return { ms: result.ms, rssKb: Number(/RSS (\d+)/.exec(result.stderr)?.[1]) }
  }

  const stats = values => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)) }
  }
  const round = n => Math.round(n * 10) / 10

  for (let i = 0; i < WARMUP; i++) {
    await time(actionRun())
    await time(floorRun)
  }
  /**
   * One job: the main step (timed, with keep-fresh or without), then its post step (timed too),
   * which stops the renewer and removes its files before the next sample.
   */
  async function timeJob(inputs) {
    const job = startJob()
    try {
      const main = await time({ ...actionRun(inputs), job })
      const post = await time({ ...actionRun(inputs), job, post: true })
      return { main: main.ms, post: post.ms }
    } finally {
      finishJob(job)
    }
  }
  const keepFreshInputs = { ...secretInputs, 'keep-fresh': 'true' }
  for (let i = 0; i < WARMUP; i++) await timeJob(keepFreshInputs)
  const baselineRun = () => ({ ...actionRun(), script: BASELINE })
  if (BASELINE) for (let i = 0; i < WARMUP; i++) await time(baselineRun())
  const samples = { action: [], floor: [], baseline: [], keepFresh: [], keepFreshPost: [], plainPost: [] }
  for (let i = 0; i < RUNS; i++) {
    // Alternate, so drift in the machine's load touches both alike.
    samples.action.push((await time(actionRun())).ms)
    samples.floor.push((await time(floorRun)).ms)
    if (BASELINE) samples.baseline.push((await time(baselineRun())).ms)
    // The same step with keep-fresh (which starts the renewer), and each post step.
    const fresh = await timeJob(keepFreshInputs)
    samples.keepFresh.push(fresh.main)
    samples.keepFreshPost.push(fresh.post)
    samples.plainPost.push((await timeJob(secretInputs)).post)
  }

  const memory = {
    actionKb: (await time(actionRun(), { rss: true })).rssKb,
    floorKb: (await time(floorRun, { rss: true })).rssKb
  }

  const endpoint = await startManagedIdentityEndpoint({
    tenantId: DEMO.tenantId,
    sign: simulator.signToken,
    identities: [IDENTITY],
    resources: ['https://graph.microsoft.com']
  })
  const tokenFile = join(dir, 'federated-token')
  const now = Math.floor(Date.now() / 1000)
  writeFileSync(
    tokenFile,
    simulator.signClusterToken({
      iss: CLUSTER_ISSUER,
      sub: SUBJECT,
      aud: 'api://AzureADTokenExchange',
      iat: now,
      nbf: now,
      exp: now + 3600
    })
  )
  /** Requests one run makes, to the token endpoint, the ID-token endpoint and the managed identity endpoint together. */
  async function requestsFor(inputs, env = {}) {
    simulator.reset()
    endpoint.reset()
    await time(actionRun(inputs, { AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint.imdsUrl, ...env }))
    return simulator.requests.length + endpoint.requests.length
  }
  const requests = {
    'client-secret': await requestsFor(secretInputs),
    certificate: await requestsFor({ 'client-certificate': certificate.pem }),
    'github-oidc': await requestsFor(
      {},
      { ACTIONS_ID_TOKEN_REQUEST_URL: simulator.idTokenRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }
    ),
    'managed-identity': await requestsFor({ 'tenant-id': '', 'client-id': '', 'managed-identity': IDENTITY.clientId }),
    'managed-identity as the app credential': await requestsFor({ 'managed-identity': IDENTITY.clientId }),
    'federated-token-file': await requestsFor({ 'federated-token-file': tokenFile })
  }
  await endpoint.close()

  const distDir = join(ROOT, 'dist')
  const bundle = {
    indexBytes: statSync(join(distDir, 'index.js')).size,
    distBytes: readdirSync(distDir).reduce((sum, f) => sum + statSync(join(distDir, f)).size, 0)
  }
  const action_ = stats(samples.action)
  const floor_ = stats(samples.floor)
  const results = {
    node: execFileSync(nodeBinary(), ['--version'], { encoding: 'utf8' }).trim(),
    runs: RUNS,
    warmup: WARMUP,
    actionMs: action_,
    floorMs: floor_,
    medianRatio: Math.round((action_.median / floor_.median) * 100) / 100,
    keepFresh: {
      mainMs: stats(samples.keepFresh),
      postMs: stats(samples.keepFreshPost),
      extraMedianMs: round(stats(samples.keepFresh).median - action_.median)
    },
    plainPostMs: stats(samples.plainPost),
    ...(BASELINE && {
      baseline: {
        script: BASELINE,
        ms: stats(samples.baseline),
        medianRatio: Math.round((stats(samples.baseline).median / floor_.median) * 100) / 100
      }
    }),
    memory,
    bundle,
    requests
  }

  console.log(`Node ${results.node}, ${RUNS} alternating runs each after ${WARMUP} warm-up runs`)
  console.log(`action (node dist/index.js): median ${action_.median} ms, min ${action_.min}, max ${action_.max}`)
  console.log(`floor (bare node:https POST): median ${floor_.median} ms, min ${floor_.min}, max ${floor_.max}`)
  console.log(`median ratio action/floor: ${results.medianRatio} (goal: at most 1.15)`)
  const kf = results.keepFresh
  console.log(
    `with keep-fresh: median ${kf.mainMs.median} ms (${kf.extraMedianMs >= 0 ? '+' : ''}${kf.extraMedianMs} ms: starting the renewer), its post step median ${kf.postMs.median} ms`
  )
  console.log(`post step without keep-fresh: median ${results.plainPostMs.median} ms (a Node start; it returns at once)`)
  if (results.baseline) {
    console.log(`baseline (${BASELINE}): median ${results.baseline.ms.median} ms, ratio to the floor ${results.baseline.medianRatio}`)
  }
  console.log(`peak RSS: action ${Math.round(memory.actionKb / 1024)} MiB, floor ${Math.round(memory.floorKb / 1024)} MiB`)
  console.log(`bundle: dist/index.js ${bundle.indexBytes} B, dist/ ${bundle.distBytes} B (goal: dist/ at most 100 KB)`)
  console.log(
    `requests per run: ${Object.entries(requests)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ')}`
  )
  const out = process.argv.indexOf('--out')
  if (out > 0 && process.argv[out + 1]) {
    writeFileSync(process.argv[out + 1], `${JSON.stringify(results, null, 2)}\n`)
    console.log(`written to ${process.argv[out + 1]}`)
  }
} finally {
  await simulator.close()
  removeTempDir(dir)
}

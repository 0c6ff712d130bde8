import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { finishJob, leftInRunnerTemp, nodeBinary, ROOT, startJob, stateEnv } from '../../scripts/runner.mjs'
import { annotations, DEMO, leaks, startE2e, type Job } from '../helpers/e2e.js'
import { onlyOn } from '../helpers/platform.js'
import { contentOf, processGone, readInTightLoop, renewalState, waitFor } from '../helpers/renewal.js'

// Tokens that live 8 s, with Entra's advice to renew after 1 s: renewals can be watched in seconds.
const LIFETIME_S = 8
const onLinux = onlyOn('linux', 'reads /proc, which only Linux has')
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

const STEP_STARTER = fileURLToPath(new URL('../helpers/step-starter.mjs', import.meta.url))
const inputEnvFor = () => ({
  'tenant-id': DEMO.tenantId,
  'client-id': DEMO.clientId,
  'client-secret': DEMO.clientSecret,
  'authority-host': e2e.simulator.url
})

let e2e: Awaited<ReturnType<typeof startE2e>>
let job: Job
beforeAll(async () => {
  e2e = await startE2e({ expiresIn: LIFETIME_S, refreshIn: 1 })
})
afterAll(() => e2e.stop())
beforeEach(() => {
  e2e.simulator.reset()
  e2e.simulator.issued.length = 0
  job = startJob()
})
afterEach(async () => {
  // A test that failed half-way still stops its renewer and leaves nothing behind.
  await e2e.run({ 'keep-fresh': 'true' }, {}, { job, post: true })
  finishJob(job)
})

it('keeps a valid token in token-file for the whole job: renewed twice before the first expires, never half-written, then cleaned up by post', async () => {
  // run() resolves only once the step's stdout and stderr are closed, as the runner waits for them:
  // a renewer that held them would hold this test.
  const main = await e2e.run({ 'keep-fresh': 'true' }, {}, { job })
  expect(main.code).toBe(0)
  const tokenFile = main.outputs['token-file']
  expect(readFileSync(tokenFile, 'utf8')).toBe(main.outputs.token)
  expect(readFileSync(main.outputs['header-file'], 'utf8')).toBe(`Authorization: Bearer ${main.outputs.token}`)
  expect(main.stdout).toMatch(/Renewing the token in token-file in the background until the job ends/)

  // A later step reads the file in a tight loop until just before the first token expires.
  const firstExpiry = Date.parse(main.outputs['expires-on'])
  const read = await readInTightLoop(tokenFile, firstExpiry - 500)
  // POSIX rename(2) swaps the file for every reader at once. Windows replaces it with MoveFileEx,
  // and an open that meets that instant can fail (and is tried again, as curl or Get-Content in a
  // retry loop would): rare, but not never. What a reader gets is a whole token on every OS.
  if (process.platform === 'win32') expect(read.failures).toBeLessThan(read.reads / 100)
  else expect(read.failures).toBe(0)
  expect(read.reads).toBeGreaterThan(read.seen.length)
  // Whole tokens only, each one the simulator issued, and at least two renewals among them.
  for (const token of read.seen) expect(token).toMatch(JWT)
  expect(read.seen.filter(token => !e2e.simulator.issued.includes(token))).toEqual([])
  expect(read.seen.length).toBeGreaterThanOrEqual(3)
  const current = contentOf(tokenFile)
  expect(contentOf(main.outputs['header-file'])).toMatch(/^Authorization: Bearer [A-Za-z0-9_.-]+$/)

  const { pid } = renewalState(job)
  const post = await e2e.run({ 'keep-fresh': 'true' }, {}, { job, post: true })
  expect(post.code).toBe(0)
  expect(post.stdout).toMatch(/Renewed the token \d+ times; the last renewal at \d{4}-\d\d-\d\dT[\d:.]+Z\. The files are removed\./)
  expect(annotations(post, 'warning')).toEqual([])
  expect(processGone(pid)).toBe(true)
  expect(leftInRunnerTemp(job)).toEqual([])
  // No renewed token reaches a log: they cannot be masked, so they are never printed.
  expect(leaks(main, { secret: DEMO.clientSecret })).toEqual([])
  const renewed = Object.fromEntries(e2e.simulator.issued.slice(1).map((token, i) => [`renewed${i}`, token]))
  expect(leaks(post, { ...renewed, current })).toEqual([])
  expect(main.stdout + post.stdout).not.toContain(current)
})

it('renews at half the lifetime when the answer has no refresh_in', async () => {
  const plain = await startE2e({ expiresIn: 6 })
  try {
    const main = await plain.run({ 'keep-fresh': 'true' }, {}, { job })
    expect(main.code).toBe(0)
    const issuedAt = plain.simulator.requests[0].at
    await waitFor('a renewal', () => plain.simulator.requests.length >= 2)
    // Due 3 s after the first token; generous for a slow machine, but never before half.
    expect(plain.simulator.requests[1].at - issuedAt).toBeGreaterThanOrEqual(2900)
    expect(plain.simulator.requests[1].at - issuedAt).toBeLessThan(5900)
    const post = await plain.run({ 'keep-fresh': 'true' }, {}, { job, post: true })
    expect(post.stdout).toMatch(/Renewed the token (once|\d+ times)/)
  } finally {
    await plain.stop()
  }
})

it('after a refusal keeps the last token in the file, stops, and post warns with each reason', async () => {
  const main = await e2e.run({ 'keep-fresh': 'true', 'max-attempts': '1' }, {}, { job })
  expect(main.code).toBe(0)
  const { dir, pid } = renewalState(job)
  // One outage (tried again soon after), then the secret is revoked.
  e2e.simulator.inject('token', { status: 503, body: '', contentType: 'text/html' })
  e2e.simulator.inject('token', {
    status: 401,
    body: JSON.stringify({
      error: 'invalid_client',
      error_description: 'AADSTS7000215: Invalid client secret provided.',
      error_codes: [7000215]
    })
  })
  await waitFor('renewal to stop', () => /"stopped"/.test(contentOf(`${dir}/status.json`)))
  await waitFor('the renewer to exit', () => processGone(pid))
  const lastGood = e2e.simulator.issued.at(-1)
  expect(contentOf(main.outputs['token-file'])).toBe(lastGood)

  const post = await e2e.run({ 'keep-fresh': 'true' }, {}, { job, post: true })
  const warnings = annotations(post, 'warning')
  expect(warnings).toHaveLength(3)
  expect(warnings[0]).toMatch(/^Renewal of the token at .+ failed: .*HTTP 503/)
  expect(warnings[1]).toMatch(/^Renewal of the token at .+ failed: .*AADSTS7000215/)
  expect(warnings[2]).toMatch(/^Renewal stopped early: the token can no longer be renewed: .*AADSTS7000215/)
  expect(warnings[2]).not.toMatch(/\.\.$/m)
  expect(leftInRunnerTemp(job)).toEqual([])
})

it('ends by itself, and removes its files, when the runner process that started the step is gone without a post step', async () => {
  const starter = spawn(
    nodeBinary(),
    [
      STEP_STARTER,
      JSON.stringify({
        inputs: { ...inputEnvFor(), 'keep-fresh': 'true' },
        env: { NODE_EXTRA_CA_CERTS: e2e.tls.caPath },
        job
      })
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      starter.stdout.on('data', chunk => {
        out += chunk
        if (out.includes('\n')) resolve(out)
      })
      starter.on('error', reject)
      starter.on('close', () => reject(new Error(`the starter ended: ${out}`)))
    })
    expect(JSON.parse(line).code).toBe(0)
    const { dir, pid } = renewalState(job)
    expect(processGone(pid)).toBe(false)
    starter.kill('SIGKILL')
    // It polls every 2 s; 15 s is generous for a loaded machine.
    await waitFor('the renewer to end', () => processGone(pid), 15_000)
    expect(existsSync(dir)).toBe(false)
  } finally {
    starter.kill('SIGKILL')
  }
})

// A container job's step: the runner starts it with `docker exec` (actions/runner,
// ContainerStepHost), in the container's PID namespace, whose init is the container's entrypoint:
// the step's parent is outside it, and process.ppid is 0. Made here with unshare and nsenter.
const namespaces =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  ['unshare', 'nsenter'].every(tool => spawnSync(tool, ['--version']).status === 0)
;(namespaces ? it : it.skip)(
  `in a container job, whose step has no parent in its PID namespace, keeps renewing until the post step${namespaces ? '' : ' (skipped: needs root on Linux with unshare and nsenter)'}`,
  async () => {
    const container = spawn('unshare', ['--pid', '--fork', 'sleep', '120'], { stdio: 'ignore' })
    const own = startJob()
    try {
      let entrypoint = 0
      await waitFor('the container to start', () => {
        entrypoint = Number(spawnSync('pgrep', ['-P', String(container.pid)], { encoding: 'utf8' }).stdout.trim())
        return entrypoint > 0
      })
      // `docker exec <container> node dist/index.js`, for the main step and for the post step alike.
      const dockerExec = join(own.dir, 'docker-exec.mjs')
      writeFileSync(
        dockerExec,
        `import { spawnSync } from 'node:child_process'\nconst step = spawnSync('nsenter', ['-t', '${entrypoint}', '-p', '--', ${JSON.stringify(nodeBinary())}, ${JSON.stringify(join(ROOT, 'dist', 'index.js'))}], { stdio: 'inherit' })\nprocess.exit(step.status ?? 1)\n`
      )
      const main = await e2e.run({ 'keep-fresh': 'true' }, {}, { job: own, script: dockerExec })
      expect(main.code).toBe(0)
      const { dir } = renewalState(own)
      const token = join(dir, 'token')
      const first = contentOf(token)
      // The renewer watches no parent here (it has none): it renews past its 2 s watch interval.
      await waitFor('two renewals', () => e2e.simulator.issued.length >= 3 && contentOf(token) !== first, 15_000)
      await new Promise(resolve => setTimeout(resolve, 2500))
      expect(existsSync(token)).toBe(true)
      const post = await e2e.run({ 'keep-fresh': 'true' }, {}, { job: own, post: true, script: dockerExec })
      expect(post.code).toBe(0)
      expect(existsSync(dir)).toBe(false)
    } finally {
      container.kill('SIGKILL')
      finishJob(own)
    }
  }
)

it('fails the step with one line naming keep-fresh when its files cannot be written, and leaves nothing behind', async () => {
  const notAFolder = join(job.dir, 'not-a-folder')
  writeFileSync(notAFolder, '')
  const main = await e2e.run({ 'keep-fresh': 'true' }, { RUNNER_TEMP: notAFolder }, { job })
  expect(main.code).toBe(1)
  expect(annotations(main)).toEqual([
    expect.stringMatching(/^Cannot start renewing in the background: E(NOTDIR|NOENT).* set 'keep-fresh' to false to get the token alone\.$/)
  ])
  expect(main.stdout + main.stderr).not.toMatch(/\n\s+at /)
  expect(main.outputs['token-file']).toBeUndefined()
  expect(stateEnv(job).STATE_renewal).toBeUndefined()
})

it('post without keep-fresh: nothing to do, nothing printed', async () => {
  const main = await e2e.run({}, {}, { job })
  expect(main.code).toBe(0)
  expect(main.outputs['token-file']).toBeUndefined()
  const post = await e2e.run({}, {}, { job, post: true })
  expect(post.code).toBe(0)
  expect(post.stdout).toBe('')
  expect(post.stderr).toBe('')
  expect(leftInRunnerTemp(job)).toEqual([])
})

onLinux("the renewer's command line and environment hold no secret, input or request token", async () => {
  const REQUEST_TOKEN = 'ghs_requestTokenNeverInTheEnvironment01'
  const proxy = 'http://proxyuser:proxyPassw0rd@127.0.0.1:9'
  const main = await e2e.run(
    { 'keep-fresh': 'true' },
    {
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://127.0.0.1:9/x?a=1',
      no_proxy: '127.0.0.1',
      https_proxy: proxy
    },
    { job }
  )
  expect(main.code).toBe(0)
  const { pid } = renewalState(job)
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
  expect(cmdline.slice(1)).toEqual([expect.stringMatching(/index\.js$/), '--renew'])
  expect(environ.map(entry => entry.split('=')[0])).toEqual(['NODE_EXTRA_CA_CERTS'])
  const text = [...cmdline, ...environ].join('\n')
  for (const secret of [DEMO.clientSecret, REQUEST_TOKEN, 'proxyPassw0rd', main.outputs.token]) expect(text).not.toContain(secret)
})

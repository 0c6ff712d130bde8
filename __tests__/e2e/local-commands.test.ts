// The commands a newcomer runs first: `npm start` (scripts/local-run.mjs) and
// `npm run local-action` (scripts/local-action.mjs), each as a child process with its own
// temporary directory, which must be empty again when it ends, whether it succeeded or not.
import { afterEach, describe, expect, it } from '@jest/globals'
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { DEMO } from '../../scripts/entra-simulator.mjs'
import { createClientCertificate, findOpenssl } from '../../scripts/certificates.mjs'
import { baseEnv, exitStatus, ROOT, runAction, unescapeCommandValue } from '../../scripts/runner.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { itExceptOn } from '../helpers/platform.js'

interface Ran {
  code: number | null
  stdout: string
  stderr: string
  /** What the command left in its temporary directory. */
  left: string[]
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) removeTempDir(dir)
})

/** A temporary directory removed after the test. */
function tempDir(prefix: string) {
  const dir = makeTempDir(prefix)
  dirs.push(dir)
  return dir
}

/**
 * Runs scripts/<script> with only the given variables besides PATH and HOME, in a temp directory
 * of its own (`tmp`, if given).
 */
function command(script: string, env: Record<string, string> = {}, args: string[] = [], tmp = tempDir('command-')): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      env: { ...baseEnv(), TMPDIR: tmp, TEMP: tmp, TMP: tmp, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += chunk))
    child.stderr.on('data', chunk => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr, left: readdirSync(tmp) }))
  })
}

/** The exit status, and when it is not the one expected, what the command printed: the reason shows in the failure. */
function expectExit(ran: Ran, code: number | null) {
  const seen = ran.code === code ? { code } : { code: ran.code, stderr: ran.stderr, stdout: ran.stdout }
  expect(seen).toEqual({ code })
}

/** One line on stderr, prefixed with the command, and no stack trace. */
function expectOneLine(ran: Ran, prefix: string) {
  const lines = ran.stderr.trim().split(/\r?\n/)
  expect(lines).toHaveLength(1)
  expect(lines[0].startsWith(`${prefix}: `)).toBe(true)
  expect(ran.stderr).not.toMatch(/^\s+at /m)
  return lines[0]
}

describe('npm start', () => {
  it('asks the simulator by default, shows the outputs with the token masked, exits 0 and leaves nothing behind', async () => {
    const ran = await command('local-run.mjs')
    expectExit(ran, 0)
    expect(ran.stdout).toContain('Asking the local Entra ID simulator at https://127.0.0.1:')
    expect(ran.stdout).toMatch(/^token: \*\*\*$/m)
    expect(ran.stdout).toContain(`tenant-id: ${DEMO.tenantId}`)
    expect(ran.stdout).toContain('── job summary ──')
    expect(ran.stdout).toMatch(/^exit code 0 \(\d+ ms\)$/m)
    expect(ran.stdout + ran.stderr).not.toContain(DEMO.clientSecret)
    expect(ran.left).toEqual([])
  })

  it.each([
    ['managed-identity', /Got a token for managed identity 5a5a5a5a-/],
    ['managed-identity-app', /Got a token for app 'graph-token-action demo'/],
    ['workload-identity', /using the federated token file in AZURE_FEDERATED_TOKEN_FILE/]
  ])('SIMULATE=%s tries a secretless credential against the simulator', async (simulate, line) => {
    const ran = await command('local-run.mjs', { SIMULATE: simulate })
    expectExit(ran, 0)
    expect(ran.stdout).toMatch(line)
    expect(ran.stdout).toMatch(/^token: \*\*\*$/m)
    expect(ran.left).toEqual([])
  })

  // The runner's warning for a step's inputs that action.yml does not declare (actions/runner,
  // src/Runner.Worker/ActionRunner.cs): "Unexpected input(s) 'a', 'b', valid inputs are ['x', 'y']".
  it("gives the runner's warning for an INPUT_ variable the action does not declare, and still runs", async () => {
    const declared = Object.keys((parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: object }).inputs)
    const ran = await command('local-run.mjs', { INPUT_TENANT_ID: 'typo', INPUT_COLOUR: 'blue' })
    expectExit(ran, 0)
    const log = ran.stdout.split('── step log (as the runner shows it) ──\n')[1]
    expect(log.split('\n')[0]).toBe(`Warning: Unexpected input(s) 'tenant_id', 'colour', valid inputs are ['${declared.join("', '")}']`)
    expect(declared).toContain('tenant-id')
    expect(ran.stdout.match(/Unexpected input/g)).toHaveLength(1)
    expect(ran.stdout).toMatch(/^token: \*\*\*$/m)
  })

  it('passes declared INPUT_ variables to the action as its inputs, over its own, with no warning', async () => {
    const ran = await command('local-run.mjs', { 'INPUT_JOB-SUMMARY': 'false', 'INPUT_MAX-ATTEMPTS': '2' })
    expectExit(ran, 0)
    expect(ran.stdout).toMatch(/^token: \*\*\*$/m)
    // npm start asks for a job summary; the shell's input turned it off.
    expect(ran.stdout).not.toContain('── job summary ──')
    expect(ran.stdout).not.toContain('Unexpected input')
  })

  it('refuses an unknown SIMULATE in one line', async () => {
    const ran = await command('local-run.mjs', { SIMULATE: 'kerberos' })
    expectExit(ran, 1)
    expect(expectOneLine(ran, 'npm start')).toMatch(/SIMULATE is 'kerberos'; use one of: client-secret, managed-identity/)
  })

  it('fails like the workflow would on a scope the tenant does not have (AADSTS500011)', async () => {
    const ran = await command('local-run.mjs', { SCOPE: 'api://does-not-exist/.default' })
    expectExit(ran, 1)
    expect(ran.stdout).toMatch(/^Error: .*The resource in the scope does not exist in this tenant\./m)
    expect(ran.stdout).toContain('AADSTS500011')
    expect(ran.stdout).not.toMatch(/^token:/m)
    expect(ran.stdout).toMatch(/^exit code 1 \(\d+ ms\)$/m)
  })

  it.each([
    [{ TENANT_ID: DEMO.tenantId }, 'TENANT_ID is set', ['CLIENT_ID', 'CLIENT_SECRET (or CLIENT_CERTIFICATE_FILE)']],
    [
      { TENANT_ID: DEMO.tenantId, CLIENT_ID: DEMO.clientId },
      'TENANT_ID and CLIENT_ID are set',
      ['CLIENT_SECRET (or CLIENT_CERTIFICATE_FILE)']
    ],
    [{ CLIENT_SECRET: 'x' }, 'CLIENT_SECRET is set', ['TENANT_ID and CLIENT_ID']],
    [{ CLIENT_CERTIFICATE_FILE: 'cert.pem' }, 'CLIENT_CERTIFICATE_FILE is set', ['TENANT_ID and CLIENT_ID', 'not your certificate']]
  ])('with only some real-tenant settings (%j) says what is missing and exits 1, asking no one', async (env, set, named) => {
    const ran = await command('local-run.mjs', env)
    expectExit(ran, 1)
    const line = expectOneLine(ran, 'npm start')
    expect(line).toContain(`${set}, so npm start would ask the real Entra ID`)
    for (const text of named) expect(line).toContain(text)
    expect(ran.stdout).toBe('')
    expect(ran.left).toEqual([])
  })

  it('names a certificate file that cannot be read, in one line, before any request', async () => {
    const missing = join(tempDir('no-cert-'), 'nope.pem')
    const ran = await command('local-run.mjs', { TENANT_ID: DEMO.tenantId, CLIENT_ID: DEMO.clientId, CLIENT_CERTIFICATE_FILE: missing })
    expectExit(ran, 1)
    expect(expectOneLine(ran, 'npm start')).toBe(
      `npm start: CLIENT_CERTIFICATE_FILE is ${missing}, but there is no such file. Set it to the PEM file with the certificate and its private key.`
    )
    expect(ran.stdout).toBe('')
  })

  it("refuses a .pfx (binary) certificate file in one line with the action's own PEM hint, printing no byte of it", async () => {
    const dir = tempDir('pfx-')
    const made = createClientCertificate(dir, 'bot', { subject: '/CN=bot' })
    const pfx = join(dir, 'cert.pfx')
    execFileSync(findOpenssl()!, ['pkcs12', '-export', '-in', made.certPath, '-inkey', made.keyPath, '-out', pfx, '-passout', 'pass:'])
    const bytes = readFileSync(pfx)
    const ran = await command('local-run.mjs', { TENANT_ID: DEMO.tenantId, CLIENT_ID: DEMO.clientId, CLIENT_CERTIFICATE_FILE: pfx })
    expectExit(ran, 1)
    const line = expectOneLine(ran, 'npm start')
    expect(ran.stdout).toBe('')
    // The action, given the same bytes as text (without the NULs no input can hold), says the same.
    const action = await runAction({
      inputs: {
        'tenant-id': DEMO.tenantId,
        'client-id': DEMO.clientId,
        'client-certificate': bytes.toString('latin1').replace(/\0/g, ''),
        // Never reached: the input is refused first; a closed loopback port if it were not.
        'authority-host': 'https://127.0.0.1:9'
      }
    })
    expect(action.code).toBe(1)
    const error = action.stdout.split('\n').find((l: string) => l.startsWith('::error'))!
    const hint = /Give the certificate and its private key as PEM \(for a \.pfx: [^)]*\)[^%]*\./.exec(unescapeCommandValue(error))?.[0]
    expect(hint).toBeDefined()
    expect(line).toBe(`npm start: CLIENT_CERTIFICATE_FILE is ${pfx}, a binary file, not PEM text. ${hint}`)
    // No run of the file's bytes, however decoded, in what either printed (the runner consumes
    // ::add-mask:: lines: the action registers the input as a secret).
    const shown = (text: string) => text.replace(/^::add-mask::.*$/gm, '')
    for (const printed of [ran.stdout + ran.stderr, shown(action.stdout) + action.stderr]) {
      for (const encoding of ['latin1', 'utf8', 'base64', 'hex'] as const) {
        expect(printed).not.toContain(bytes.subarray(0, 6).toString(encoding))
      }
    }
  })

  itExceptOn('win32', "Git for Windows' openssl is found outside PATH")(
    'says in one line how to get openssl when there is none, and leaves nothing behind',
    async () => {
      const ran = await command('local-run.mjs', { PATH: tempDir('no-openssl-') })
      expectExit(ran, 1)
      expect(expectOneLine(ran, 'npm start')).toMatch(/^npm start: openssl was not found on PATH; .* Install it \(/)
      expect(ran.left).toEqual([])
    }
  )

  itExceptOn('win32', 'Windows has no signals: a killed process ends with an exit code')(
    'judges an action killed by a signal a failure, as the runner does',
    async () => {
      const script = join(tempDir('killed-'), 'killed.mjs')
      writeFileSync(script, "process.kill(process.pid, 'SIGKILL')\n")
      const result = await runAction({ script })
      expect(result.code).toBeNull()
      expect(exitStatus(result)).toEqual({ status: 1, reason: 'killed by SIGKILL' })
    }
  )
})

describe('npm run local-action', () => {
  it('runs src/main.ts under @github/local-action against the simulator, offline, and leaves nothing behind', async () => {
    // --simulator: a contributor's own .env (a real tenant) must not be used by the tests.
    const ran = await command('local-action.mjs', {}, ['--simulator'])
    expectExit(ran, 0)
    expect(ran.stdout).toContain('Asking the local Entra ID simulator at https://127.0.0.1:')
    expect(ran.stdout).toContain(`::set-output name=tenant-id::${DEMO.tenantId}`)
    expect(ran.stdout).toContain("Got a token for app 'graph-token-action demo'")
    // local-action drops an output that contains a registered secret, as the README says.
    expect(ran.stdout).toContain('Skip output token since it may contain secret.')
    expect(ran.stdout + ran.stderr).not.toContain(DEMO.clientSecret)
    expect(ran.left).toEqual([])
  })

  itExceptOn('win32', 'tsx talks over a named pipe there, which has no path limit')(
    "works with a TMPDIR too long for tsx's socket there, and leaves nothing behind",
    async () => {
      // tsx listens on TMPDIR/tsx-UID/PID.pipe; a Unix socket path holds at most 107 bytes on Linux.
      const tmp = join(tempDir('long-'), 'x'.repeat(60))
      mkdirSync(tmp)
      const ours = () => new Set(readdirSync('/tmp').filter(name => name.startsWith('graph-token-action-local-action-')))
      const before = ours()
      const ran = await command('local-action.mjs', {}, ['--simulator'], tmp)
      expectExit(ran, 0)
      expect(ran.stdout).toContain(`::set-output name=tenant-id::${DEMO.tenantId}`)
      expect(readdirSync(tmp)).toEqual([])
      expect([...ours()].filter(name => !before.has(name))).toEqual([])
    }
  )
})

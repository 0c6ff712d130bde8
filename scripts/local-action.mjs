// `npm run local-action`: runs src/main.ts under GitHub's own local runner, @github/local-action,
// as the actions/typescript-action template does. It loads the TypeScript sources with tsx
// (installed here, so nothing is fetched) and replaces @actions/core with its own stand-in.
//
// With a .env file (copy .env.example) it runs with that file's inputs, as they are. Without one,
// or with --simulator, it asks the built-in Entra ID simulator, like npm start: a throw-away CA,
// trusted through NODE_EXTRA_CA_CERTS, and the simulator's demo tenant, app and secret as inputs.
//
// npm start stays the faithful emulation of the runner (dist/index.js in a child process,
// INPUT_* variables, the GITHUB_OUTPUT file, masks applied to the log); local-action is the
// debugging loop on the sources.
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { createServerTls, OpensslMissingError } from './certificates.mjs'
import { DEMO, startEntraSimulator } from './entra-simulator.mjs'
import { nodeBinary, ROOT } from './runner.mjs'
import { exitOnSignals, makeTempDir, removeTempDir } from './temp.mjs'

const LOCAL_ACTION = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js')
const DOTENV = join(ROOT, '.env')

exitOnSignals()
const dir = socketSafeTempDir()
try {
  const useDotenv = existsSync(DOTENV) && !process.argv.includes('--simulator')
  process.exitCode = useDotenv ? await localAction(DOTENV) : await againstSimulator()
} catch (error) {
  if (!(error instanceof OpensslMissingError)) throw error
  console.error(`npm run local-action: ${error.message}`)
  process.exitCode = 1
} finally {
  removeTempDir(dir)
}

async function againstSimulator() {
  const tls = createServerTls(dir)
  const simulator = await startEntraSimulator({ tls })
  try {
    console.log(`Asking the local Entra ID simulator at ${simulator.url} (copy .env.example to .env to use other inputs).`)
    const dotenv = join(dir, '.env')
    const inputs = {
      'tenant-id': DEMO.domain,
      'client-id': DEMO.clientId,
      'client-secret': DEMO.clientSecret,
      'authority-host': simulator.url
    }
    writeFileSync(
      dotenv,
      Object.entries(inputs)
        .map(([name, value]) => `INPUT_${name.toUpperCase()}=${value}\n`)
        .join('')
    )
    return await localAction(dotenv, { NODE_EXTRA_CA_CERTS: tls.caPath })
  } finally {
    await simulator.close()
  }
}

/**
 * The run's temporary directory, which becomes the TMPDIR of local-action and tsx. tsx listens on
 * a Unix socket at TMPDIR/tsx-UID/PID.pipe, and a socket path holds at most 107 bytes on Linux
 * and 103 on macOS (sun_path of 108 and 104 bytes with its NUL: unix(7), macOS <sys/un.h>); a
 * longer one fails with "listen EINVAL". So the directory goes under the system's temporary
 * directory when the longest socket path fits there, and under /tmp otherwise. Windows uses
 * named pipes, which have no such limit.
 */
function socketSafeTempDir() {
  const prefix = 'local-action-'
  const limit = process.platform === 'darwin' ? 103 : 107
  // mkdtemp adds six characters; a PID has at most seven digits (Linux pid_max is at most 2^22).
  const longest = base => join(base, `graph-token-action-${prefix}XXXXXX`, `tsx-${process.geteuid?.() ?? 0}`, '4194304.pipe').length
  if (process.platform === 'win32' || longest(tmpdir()) <= limit) return makeTempDir(prefix)
  if (longest('/tmp') <= limit && existsSync('/tmp')) return makeTempDir(prefix, '/tmp')
  console.error(
    `npm run local-action: the temporary directory ${tmpdir()} is too long for tsx's socket (at most ${limit} bytes in all) and there is no /tmp; set TMPDIR to a shorter directory.`
  )
  process.exit(1)
}

/** Runs local-action on src/main.ts with the given .env file; resolves to its exit status. */
function localAction(dotenv, extraEnv = {}) {
  // Its own temporary directory, removed afterwards: tsx and npm leave a pipe directory and caches there.
  const env = { ...process.env, TMPDIR: dir, TEMP: dir, TMP: dir, ...extraEnv }
  // local-action starts tsx with the `node` on PATH: make that Node 24 where npm installed it.
  const node24 = nodeBinary()
  if (node24 !== process.execPath) env.PATH = `${dirname(node24)}${delimiter}${env.PATH}`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOCAL_ACTION, 'run', ROOT, join('src', 'main.ts'), dotenv], { cwd: ROOT, env, stdio: 'inherit' })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

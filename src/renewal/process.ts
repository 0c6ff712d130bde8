import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { RENEW_ARGUMENT } from './names.js'

// The hand-over is a few KB (inputs, a PEM at most); anything larger is not ours.
const MAX_HAND_OVER_BYTES = 1024 * 1024
const WATCH_INTERVAL_MS = 2000
const STOP_WAIT_MS = 5000

/**
 * What the renewer's environment keeps of the step's: only what Node itself needs, none of it a
 * secret. No INPUT_*, no ACTIONS_ID_TOKEN_REQUEST_TOKEN, no proxy URL (it may carry a password):
 * the environment and the command line are readable by the same user (/proc/PID/environ), so
 * every value that matters goes over the pipe instead.
 * - NODE_EXTRA_CA_CERTS: Node reads it only at start-up; self-hosted runners behind a TLS-inspecting
 *   proxy need it (a path, not a secret).
 * - Windows: SystemRoot and its kin (without SystemRoot, Node cannot open sockets), TEMP/TMP, and
 *   ProgramData (where Azure Arc's agent keeps its challenge files).
 */
export function renewerEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const names = ['NODE_EXTRA_CA_CERTS']
  if (process.platform === 'win32') names.push('SystemRoot', 'SystemDrive', 'windir', 'TEMP', 'TMP', 'ProgramData')
  return Object.fromEntries(names.flatMap(name => (env[name] ? [[name, env[name]]] : [])))
}

/**
 * Starts `node <this bundle> --renew` detached, with its own stdin pipe and no other stream, writes
 * the hand-over to it and lets go. Returns the new process's ID.
 * - detached: on POSIX a session of its own (setsid), so the signal the runner sends the step's
 *   process group on cancellation does not reach it (it ends by itself, see watchProcess); on
 *   Windows DETACHED_PROCESS, so it has no console to share with the step. windowsHide: no window.
 * - stdout and stderr 'ignore': the runner waits until the step's streams are closed, so the
 *   renewer must not hold them (runner-contract, "Post steps and processes that outlive a step").
 * - unref and the pipe destroyed once written: the step exits as soon as its outputs are written.
 * - No other handle leaks into it: Node marks its own stdio handles non-inheritable at start-up
 *   (libuv's uv_disable_stdio_inheritance), on Windows as on POSIX, so the runner's pipes stay
 *   with the step.
 * The pipe's buffer keeps what was written until the renewer reads it, also after the step ended.
 */
export function startDetached(handOver: object, env: Record<string, string>): Promise<number> {
  // This module's own file: in the bundle, dist/index.js, whose entry (index.ts) is the renewer
  // with RENEW_ARGUMENT. Run from the sources (local-action), there is no such entry.
  const bundle = fileURLToPath(import.meta.url)
  if (!bundle.endsWith('.js'))
    return Promise.reject(new Error('the renewer runs only from the built action (npm run bundle, dist/index.js)'))
  const text = JSON.stringify({ ...handOver, watchPid: process.ppid })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, RENEW_ARGUMENT], {
      detached: true,
      windowsHide: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env
    })
    child.once('error', reject)
    child.stdin!.once('error', reject)
    child.once('spawn', () => {
      child.stdin!.end(text, () => {
        child.stdin!.destroy()
        child.unref()
        resolve(child.pid!)
      })
    })
  })
}

/** The renewer's side of the hand-over: stdin read to its end, as JSON. */
export async function readHandOver(stdin: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    size += buffer.length
    if (size > MAX_HAND_OVER_BYTES) throw new Error('the hand-over is larger than any the step writes')
    chunks.push(buffer)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

/**
 * Whether a process with this ID is running. Signal 0 checks without sending anything, on Windows
 * too (Node opens the process there); EPERM means it exists but belongs to someone else. On Linux
 * a process that has exited stays a zombie until its parent reaps it, and the renewer's parent
 * (the step) is gone, so it waits for init, which may take its time: a zombie counts as ended.
 */
export function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !(process.platform === 'linux' && isZombie(pid))
}

function isZombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state ...", comm in parentheses and possibly with spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/**
 * Calls `onGone` once the process `pid` has ended: the runner process that started the step
 * (self-hosted runners do not all clean up after a job). Polled, since Node cannot wait for a
 * process it did not start; the timer is unref'd, so it never alone keeps the renewer alive.
 */
export function watchProcess(pid: number, onGone: () => void): void {
  const timer = setInterval(() => {
    if (isRunning(pid)) return
    clearInterval(timer)
    onGone()
  }, WATCH_INTERVAL_MS)
  timer.unref()
}

/**
 * Ends the renewer and waits until it is gone (so that it cannot write after its files are
 * removed). POSIX: SIGTERM, which the renewer handles by recording why it stopped; SIGKILL if it
 * is still there after a few seconds. Windows has no signals: process.kill terminates it at once.
 * Returns whether it is gone.
 */
export async function stopProcess(pid: number, sleep: (ms: number) => Promise<void>): Promise<boolean> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name)
    } catch {
      // Gone already.
    }
  }
  signal('SIGTERM')
  for (let waited = 0; waited < STOP_WAIT_MS; waited += 50) {
    if (!isRunning(pid)) return true
    await sleep(50)
  }
  signal('SIGKILL')
  await sleep(100)
  return !isRunning(pid)
}

/** Calls `onStop` when the post step (or anyone) asks the renewer to end. Windows delivers none of these. */
export function onStopSignal(onStop: (signal: NodeJS.Signals) => void): void {
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(name, () => onStop(name))
}

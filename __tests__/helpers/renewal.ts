import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { isRunning } from '../../src/renewal/process.js'
import { nodeBinary, stateEnv } from '../../scripts/runner.mjs'
import type { Job } from './e2e.js'

/** The renewal state the main step saved for its post step: the folder and the renewer's process ID. */
export function renewalState(job: Job): { dir: string; pid: number } {
  return JSON.parse(stateEnv(job).STATE_renewal)
}

/** Waits until `check` holds, polling; fails after `ms` (a generous bound: the machine may be slow). */
export async function waitFor(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

export const processGone = (pid: number) => !isRunning(pid)

/** The file's content, or '' while it cannot be read. */
export function contentOf(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

// Reads the file as fast as it can until the deadline, and reports every distinct content and
// every read that failed: another process, as a later step's script would be.
const READER = `
const { readFileSync } = require('node:fs')
const [path, until] = [process.argv[1], Number(process.argv[2])]
const seen = new Map()
let reads = 0, failures = 0
while (Date.now() < until) {
  try {
    const text = readFileSync(path, 'utf8')
    reads++
    if (!seen.has(text)) seen.set(text, Date.now())
  } catch { failures++ }
}
console.log(JSON.stringify({ reads, failures, seen: [...seen.keys()] }))
`

/** Polls `path` in a tight loop in a child process until `until` (epoch ms). */
export function readInTightLoop(path: string, until: number): Promise<{ reads: number; failures: number; seen: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary(), ['-e', READER, path, String(until)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.on('error', reject)
    child.on('close', () => {
      try {
        resolve(JSON.parse(out))
      } catch (error) {
        reject(error)
      }
    })
  })
}

import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

// The folder's name starts with this, so that removal can check it is ours before deleting.
const PREFIX = 'graph-token-renewal-'

/** The files of one step's renewal, all in one folder only the runner's user can open. */
export interface RenewalFiles {
  dir: string
  /** The access token alone (the 'token-file' output). */
  token: string
  /** `Authorization: Bearer <token>`, for `curl -H @file` (the 'header-file' output). */
  header: string
  /** The client assertion later steps sign in with (AZURE_FEDERATED_TOKEN_FILE). */
  assertion: string
  /** What the renewer did, as JSON (status.ts); never a secret. */
  status: string
}

export function renewalFiles(dir: string): RenewalFiles {
  return {
    dir,
    token: join(dir, 'token'),
    header: join(dir, 'authorization-header'),
    assertion: join(dir, 'federated-token'),
    status: join(dir, 'status.json')
  }
}

/**
 * A new folder under `base` (RUNNER_TEMP: the runner empties it at the start and end of every job,
 * so a cancelled job leaves nothing behind). mkdtemp creates it 0700 on POSIX; chmod says so
 * again whatever the umask. Windows ignores the mode: there the folder inherits the ACL of the
 * runner's work folder, which only the runner's account and administrators can open.
 */
export function createRenewalFiles(base: string): RenewalFiles {
  const dir = mkdtempSync(join(resolve(base), PREFIX))
  chmodSync(dir, 0o700)
  return renewalFiles(dir)
}

/**
 * Replaces `path` with `content` so that a reader sees the old file or the new one, never a part:
 * written to a temporary file in the same folder (so the rename stays on one file system), 0600,
 * then renamed over the old one (rename(2) is atomic; on Windows Node's rename is MoveFileEx with
 * MOVEFILE_REPLACE_EXISTING). Never creates the folder: once the post step has removed it, a late
 * write fails instead of leaving a token behind.
 */
export function writeAtomically(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' })
  try {
    renameReplacing(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

// Windows refuses to replace a file that another process holds open without FILE_SHARE_DELETE
// (EPERM, EACCES or EBUSY): a reader that opens the file for a moment is waited for, briefly.
const WINDOWS_BUSY = new Set(['EPERM', 'EACCES', 'EBUSY'])
const WINDOWS_TRIES = 40
const WINDOWS_WAIT_MS = 25

function renameReplacing(from: string, to: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      return renameSync(from, to)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (process.platform !== 'win32' || !WINDOWS_BUSY.has(code) || attempt >= WINDOWS_TRIES) throw error
      // A synchronous pause: the renewer has nothing else to do in those milliseconds.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WINDOWS_WAIT_MS)
    }
  }
}

/** The token alone, and as the header line `curl -H @file` sends (RFC 6750 §2.1), each replaced atomically. */
export function writeTokenFiles(files: RenewalFiles, accessToken: string): void {
  writeAtomically(files.token, accessToken)
  writeAtomically(files.header, `Authorization: Bearer ${accessToken}`)
}

/** The file's text, or undefined when it cannot be read (removed, never written). */
export function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Removes a file the action wrote, if it is still there. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Already gone.
  }
}

/**
 * Removes the folder and everything in it, only if it is one this module made: its name has our
 * prefix and it sits directly in `base`. The path comes from the step's saved state, which other
 * steps of the job could have written to; nothing else is ever deleted.
 */
export function removeRenewalFiles(dir: string, base: string): boolean {
  const folder = resolve(dir)
  if (dirname(folder) !== resolve(base) || !basename(folder).startsWith(PREFIX)) return false
  rmSync(folder, { recursive: true, force: true, maxRetries: 5 })
  return true
}

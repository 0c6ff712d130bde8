// Temporary directories for throw-away keys, certificates and runner files: made under the
// system's temporary directory (os.tmpdir(), so /tmp, %TEMP% or /var/folders as the OS has it)
// and removed by whoever made them, in a finally block; whatever is still there when the process
// exits (an exception, process.exit, or Ctrl-C in a command that calls exitOnSignals) is removed
// then, so no run leaves one behind.
import { mkdtempSync, rmSync } from 'node:fs'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'

const PREFIX = 'graph-token-action-'
const live = new Set()
let hooked = false

/** A new, empty directory under the system's temporary directory (or `base`), named graph-token-action-<prefix>…. */
export function makeTempDir(prefix = '', base = tmpdir()) {
  const dir = mkdtempSync(join(base, `${PREFIX}${prefix}`))
  live.add(dir)
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      for (const left of live) rmSync(left, { recursive: true, force: true })
    })
  }
  return dir
}

/** Removes a directory made by makeTempDir, with everything in it. */
export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true })
  live.delete(dir)
}

/**
 * For the commands people run (npm test, npm start, npm run bench, npm run local-action): an
 * interrupt or a kill ends the process through process.exit, so the exit handler above still
 * removes the directories. The exit status is the shell's convention, 128 + the signal number.
 */
export function exitOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => process.exit(128 + (constants.signals[signal] ?? 0)))
  }
}

import type { Io } from '../io.js'
import { removeRenewalFiles, renewalFiles } from './files.js'
import { isRunning, stopProcess } from './process.js'
import type { RenewalState } from './start.js'
import { readStatus } from './status.js'

/**
 * The post step (runs.post, always): stops the renewer, reports what it did, and removes every
 * file the main step wrote. Without 'keep-fresh' and 'azure-credentials' the main step saved no
 * renewal state, and this returns at once.
 */
export async function post(io: Io, saved: string): Promise<void> {
  let state: RenewalState
  try {
    state = JSON.parse(saved) as RenewalState
  } catch {
    io.log.warning('The saved state of the main step cannot be read: nothing to clean up.')
    return
  }
  const files = renewalFiles(String(state.dir))
  const before = readStatus(files.status)
  // A renewer that stopped by itself has said why; its process ID may belong to another process by now.
  const running = state.pid > 0 && !before?.stopped && isRunning(state.pid)
  const stopped = running ? await stopProcess(state.pid, io.sleep) : true
  const status = readStatus(files.status) ?? before
  if (!removeRenewalFiles(files.dir, String(state.base))) {
    io.log.warning(`The saved state names a folder the action did not make (${files.dir}): it is left as it is.`)
  }
  if (!stopped) io.log.warning(`The background renewer (process ${state.pid}) did not stop; the runner ends it with the job.`)
  if (!status) {
    io.log.info('The background renewer left no status; its files are removed.')
    return
  }

  const { token, assertion } = status.renewals
  const counts = [token && `the token ${times(token)}`, assertion && `the client assertion ${times(assertion)}`].filter(Boolean)
  io.log.info(
    counts.length > 0
      ? `Renewed ${counts.join(' and ')}; the last renewal at ${status.lastRenewal}. The files are removed.`
      : 'No renewal was due before the job ended. The files are removed.'
  )
  const shown = status.failures.length
  if (status.failureCount > shown) io.log.warning(`${status.failureCount - shown} earlier failed renewals are not listed.`)
  for (const failure of status.failures) io.log.warning(`Renewal of the ${failure.what} at ${failure.at} failed: ${failure.reason}`)
  // The post step's own SIGTERM is the normal end; anything else is worth a warning.
  if (status.stopped && !status.stopped.startsWith('stopped by the post step'))
    io.log.warning(`Renewal stopped early: ${status.stopped.replace(/\.$/, '')}.`)
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`
}

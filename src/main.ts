import { ActionError, InputErrors } from './errors.js'
import { createIo, type Logger } from './io.js'
import { STATE_NAME } from './renewal/names.js'
import { run as runWith } from './run.js'

/**
 * The action, as actions/typescript-action shapes it: run() does everything and never throws,
 * so src/index.ts and @github/local-action can both call it. The only place a failure is rendered.
 */
export async function run(): Promise<void> {
  const io = createIo()
  // First, so that the post step is told apart even when this step fails (index.ts).
  io.saveState(POST_MARKER, 'true')
  try {
    await runWith(io)
  } catch (error) {
    fail(error, io.log)
  }
}

const POST_MARKER = 'isPost'

/** Whether this is the post step: the runner passes the state the main step saved. */
export function isPost(): boolean {
  return createIo().getState(POST_MARKER) === 'true'
}

/**
 * The post step: cleans up after 'keep-fresh' and 'azure-credentials' (renewal/post.ts), and
 * returns at once when the main step saved no renewal state. A problem is a warning: the job's
 * outcome was decided by its steps.
 */
export async function runPost(): Promise<void> {
  const io = createIo()
  const saved = io.getState(STATE_NAME)
  if (!saved) return
  try {
    const { post } = await import(/* webpackMode: "eager" */ './renewal/post.js')
    await post(io, saved)
  } catch (error) {
    io.log.warning(`Cleaning up after the renewal failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Renders a failure once: one ::error:: line per problem, no stack trace unless debugging. */
function fail(error: unknown, log: Logger): void {
  // Set directly: local-action's stand-in for @actions/core has no ExitCode.
  process.exitCode = 1
  if (error instanceof InputErrors) {
    for (const e of error.errors) log.error(e.render())
    return
  }
  if (error instanceof ActionError) {
    log.error(error.render())
    return
  }
  log.debug(error instanceof Error ? (error.stack ?? error.message) : String(error))
  log.error(`Unexpected error: ${error instanceof Error ? error.message : String(error)}`)
}

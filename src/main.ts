import { ActionError, InputErrors } from './errors.js'
import { createIo, type Logger } from './io.js'
import { run as runWith } from './run.js'

/**
 * The action, as actions/typescript-action shapes it: run() does everything and never throws,
 * so src/index.ts and @github/local-action can both call it. The only place a failure is rendered.
 */
export async function run(): Promise<void> {
  const io = createIo()
  try {
    await runWith(io)
  } catch (error) {
    fail(error, io.log)
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

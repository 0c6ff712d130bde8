import * as core from '@actions/core'
import { ActionError, InputErrors } from './errors.js'
import { createIo } from './io.js'
import { run as runWith } from './run.js'

/**
 * The action, as actions/typescript-action shapes it: run() does everything and never throws,
 * so src/index.ts and @github/local-action can both call it. The only place a failure is rendered.
 */
export async function run(): Promise<void> {
  try {
    await runWith(createIo())
  } catch (error) {
    fail(error)
  }
}

/** Renders a failure once: one ::error:: line per problem, no stack trace unless debugging. */
function fail(error: unknown): void {
  // Set directly: local-action's stand-in for @actions/core has no ExitCode.
  process.exitCode = 1
  if (error instanceof InputErrors) {
    for (const e of error.errors) core.error(e.render())
    return
  }
  if (error instanceof ActionError) {
    core.error(error.render())
    return
  }
  core.debug(error instanceof Error ? (error.stack ?? error.message) : String(error))
  core.error(`Unexpected error: ${error instanceof Error ? error.message : String(error)}`)
}

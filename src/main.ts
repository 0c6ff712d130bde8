import * as core from '@actions/core'
import { ActionError, InputErrors } from './errors.js'
import { createIo } from './io.js'
import { run } from './run.js'

/** Renders a failure once: one ::error:: line per problem, no stack trace unless debugging. */
function fail(error: unknown): void {
  if (error instanceof InputErrors) {
    for (const e of error.errors) core.error(e.render())
    process.exitCode = core.ExitCode.Failure
    return
  }
  if (error instanceof ActionError) {
    core.setFailed(error.render())
    return
  }
  core.debug(error instanceof Error ? (error.stack ?? error.message) : String(error))
  core.setFailed(`Unexpected error: ${error instanceof Error ? error.message : String(error)}`)
}

try {
  await run(createIo())
} catch (error) {
  fail(error)
}

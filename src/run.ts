import { checkRequiredRoles, inspectToken, rolelessWarning } from './claims.js'
import { isGraphScope } from './clouds.js'
import { createCredential } from './credentials/index.js'
import { startDeadline } from './deadline.js'
import { readInputs } from './inputs.js'
import type { Io } from './io.js'
import { publish } from './publish.js'
import { withRetry, type RetryBudget } from './retry.js'
import { parseSettings } from './settings.js'
import { requestToken } from './token-request.js'

/** inputs → settings → credential → token request (retried) → claims → outputs. */
export async function run(io: Io): Promise<void> {
  const settings = parseSettings(readInputs(io))
  const deadline = startDeadline(io.now(), settings.timeoutMs)
  const budget: RetryBudget = { maxAttempts: settings.maxAttempts, deadline: deadline.at, timeoutSeconds: settings.timeoutMs / 1000 }
  const retry = <T>(what: string, attempt: (signal: AbortSignal) => Promise<T>) =>
    withRetry(what, () => attempt(deadline.attemptSignal()), budget, io, io.log)

  const acquire = async () => {
    const credential = createCredential(settings, io, retry)
    io.log.debug(`Requesting a token from ${settings.tokenUrl} for ${settings.scope} with ${credential.label}`)
    return retry('token request', signal => requestToken(io, settings, credential, signal))
  }
  // Whatever happens below (a request that never settles included), the deadline ends the run.
  const token = await deadline.bound(acquire())

  const { facts, reason, dropped } = inspectToken(token.accessToken)
  if (reason) io.log.debug(`The token's claims cannot be read: ${reason}; the tenant-id and roles outputs stay empty.`)
  for (const note of dropped) io.log.debug(note)
  checkRequiredRoles(settings.requiredRoles, facts, settings.clientId, settings.scope)
  const warning = rolelessWarning(facts, isGraphScope(settings.scope), settings.clientId, settings.scope)
  if (warning) io.log.warning(warning)
  await publish(io, settings, token, facts)
}

import { checkRequiredRoles, inspectToken, rolelessWarning, type Principal } from './claims.js'
import { isGraphScope } from './clouds.js'
import type { Credential, Retry } from './credentials/credential.js'
import { createCredential } from './credentials/index.js'
import { startDeadline } from './deadline.js'
import { readInputs } from './inputs.js'
import type { Io } from './io.js'
import { publish } from './publish.js'
import { withRetry, type AttemptCount, type RetryBudget } from './retry.js'
import { parseSettings, type Settings } from './settings.js'
import { requestEntraToken } from './token-sources/entra.js'
import { requestManagedIdentityToken } from './token-sources/managed-identity.js'
import type { Token } from './token-response.js'

/** inputs → settings → token source (with its credential, retried) → claims → outputs. */
export async function run(io: Io): Promise<void> {
  const settings = parseSettings(readInputs(io))
  for (const note of settings.notes) io.log.info(note)
  // 'max-attempts' bounds each kind of request over the whole run, not each call (README, Inputs).
  const counts = new Map<string, AttemptCount>()
  const retry = <T>(what: string, attempt: (signal: AbortSignal) => Promise<T>) => {
    if (!counts.has(what)) counts.set(what, { made: 0, used: 0 })
    return withRetry(what, () => attempt(deadline.attemptSignal()), budget, io, io.log, counts.get(what))
  }
  // Built before the deadline starts, as checking an input: a certificate's encrypted key is
  // decrypted here, and its key derivation (scrypt, PBKDF2) is synchronous, so no timer could stop
  // it and its time would be blamed on the network. (retry is only called once the deadline runs.)
  const source: Source =
    settings.source.kind === 'entra'
      ? { kind: 'entra', credential: createCredential(settings.source.credential, settings, io, retry) }
      : settings.source
  const deadline = startDeadline(io.now, settings.timeoutMs)
  const budget: RetryBudget = { maxAttempts: settings.maxAttempts, deadline: deadline.at, timeoutSeconds: settings.timeoutMs / 1000 }

  // Whatever happens below (a request that never settles included), the deadline ends the run.
  const token = await deadline.bound(acquire(settings, source, io, retry))

  const { facts, reason, dropped } = inspectToken(token.accessToken)
  if (reason) io.log.debug(`The token's claims cannot be read: ${reason}; the tenant-id and roles outputs stay empty.`)
  for (const note of dropped) io.log.debug(note)
  const principal: Principal =
    settings.source.kind === 'managed-identity'
      ? { kind: 'managed-identity', objectId: facts.objectId, clientId: facts.appId }
      : { kind: 'app', clientId: settings.clientId }
  checkRequiredRoles(settings.requiredRoles, facts, principal, settings.scope)
  const warning = rolelessWarning(facts, isGraphScope(settings.scope), principal, settings.scope)
  if (warning) io.log.warning(warning)
  await publish(io, settings, token, facts)
}

/** Where the token comes from: the Entra token endpoint with the credential built for it, or a managed identity. */
type Source = { kind: 'entra'; credential: Credential } | Extract<Settings['source'], { kind: 'managed-identity' }>

/** A token from the source the settings chose. */
async function acquire(settings: Settings, source: Source, io: Io, retry: Retry): Promise<Token> {
  if (source.kind === 'managed-identity') {
    // A managed identity endpoint takes the resource, not a scope (learn.microsoft.com, "How to use
    // managed identities ... to acquire an access token"): the scope without /.default.
    const resource = settings.scope.replace(/\/\.default$/, '')
    io.log.debug(`Requesting a token for ${resource} from the managed identity endpoint`)
    return retry('managed identity token request', signal => requestManagedIdentityToken(io, source.identity, resource, signal))
  }
  const { credential } = source
  io.log.debug(`Requesting a token from ${settings.tokenUrl} for ${settings.scope} with ${credential.label}`)
  return retry('token request', signal => requestEntraToken(io, settings, credential, signal))
}

import type { Credential, Retry } from './credentials/credential.js'
import { createCredential } from './credentials/index.js'
import { startDeadline, type Deadline } from './deadline.js'
import { ActionError } from './errors.js'
import type { Io } from './io.js'
import { withRetry, type AttemptCount, type RetryBudget } from './retry.js'
import type { Settings } from './settings.js'
import { requestEntraToken } from './token-sources/entra.js'
import type { Token } from './token-response.js'

/**
 * One acquisition: a fresh deadline ('timeout-seconds') and retry budget ('max-attempts') around
 * the token source the settings chose. The step (run.ts) calls it once; the renewer
 * (renewal/renewer.ts) calls it for every renewal, so both follow the same rules, and each
 * renewal builds the credential afresh.
 */
export async function acquireToken(settings: Settings, io: Io): Promise<Token> {
  const { retry, start } = budget(settings, io)
  const credential = settings.source.kind === 'entra' ? await createCredential(settings.source.credential, settings, io, retry) : undefined
  const deadline = start()
  // Whatever happens below (a request that never settles included), the deadline ends it.
  return deadline.bound(requestToken(settings, credential, io, retry))
}

/**
 * A client assertion made from the step's own credential, as the app's token request would send
 * it (a certificate assertion for the token URL, the job's GitHub ID token, a managed identity's
 * exchange token), under the same deadline and retries: what 'azure-credentials' hands to later
 * steps in AZURE_FEDERATED_TOKEN_FILE. Entra ID takes each in the same client_assertion field.
 */
export async function acquireAssertion(settings: Settings, io: Io): Promise<string> {
  const { source } = settings
  if (source.kind !== 'entra') throw new Error('a managed identity of its own has no client assertion')
  const { retry, start } = budget(settings, io)
  const credential = await createCredential(source.credential, settings, io, retry)
  const deadline = start()
  const { client_assertion: assertion } = await deadline.bound(
    credential.authenticate({ tokenUrl: settings.tokenUrl, signal: deadline.signal })
  )
  if (!assertion) throw new ActionError('invalid-input', `${credential.label} gives no client assertion.`, { input: 'azure-credentials' })
  return assertion
}

/**
 * The retry of one acquisition, and `start`, which starts its deadline. The credential is built
 * between the two, as checking an input: a certificate's encrypted key is decrypted then, and its
 * key derivation (scrypt, PBKDF2) is synchronous, so no timer could stop it and its time would be
 * blamed on the network. Each kind of request has one count of attempts across the acquisition:
 * 'max-attempts' bounds the ID-token requests and the token requests each (README.md#inputs).
 */
function budget(settings: Settings, io: Io): { retry: Retry; start: () => Deadline } {
  const counts = new Map<string, AttemptCount>()
  let running: { deadline: Deadline; budget: RetryBudget } | undefined
  const retry: Retry = (what, attempt) => {
    if (!running) throw new Error(`${what} before the deadline started`)
    const { deadline, budget } = running
    if (!counts.has(what)) counts.set(what, { made: 0, used: 0 })
    return withRetry(what, () => attempt(deadline.attemptSignal()), budget, io, io.log, counts.get(what))
  }
  const start = () => {
    const deadline = startDeadline(io.now, settings.timeoutMs)
    running = { deadline, budget: { maxAttempts: settings.maxAttempts, deadline: deadline.at, timeoutSeconds: settings.timeoutMs / 1000 } }
    return deadline
  }
  return { retry, start }
}

/** A token from the Entra token endpoint with the credential built for it, or from a managed identity. */
async function requestToken(settings: Settings, credential: Credential | undefined, io: Io, retry: Retry): Promise<Token> {
  const { source } = settings
  if (source.kind === 'managed-identity') {
    // A managed identity endpoint takes the resource, not a scope (learn.microsoft.com, "How to use
    // managed identities ... to acquire an access token"): the scope without /.default.
    const resource = settings.scope.replace(/\/\.default$/, '')
    io.log.debug(`Requesting a token for ${resource} from the managed identity endpoint`)
    // Evaluated only when a managed identity is the source (credentials/index.ts says why).
    const { requestManagedIdentityToken } = await import(/* webpackMode: "eager" */ './token-sources/managed-identity.js')
    return retry('managed identity token request', signal => requestManagedIdentityToken(io, source.identity, resource, signal))
  }
  if (!credential) throw new Error('an Entra token request without a credential')
  io.log.debug(`Requesting a token from ${settings.tokenUrl} for ${settings.scope} with ${credential.label}`)
  return retry('token request', signal => requestEntraToken(io, settings, credential, signal))
}

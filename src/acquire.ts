import type { Retry } from './credentials/credential.js'
import { createCredential } from './credentials/index.js'
import { startDeadline } from './deadline.js'
import { ActionError } from './errors.js'
import type { Io } from './io.js'
import { withRetry, type RetryBudget } from './retry.js'
import type { Settings } from './settings.js'
import { requestEntraToken } from './token-sources/entra.js'
import { requestManagedIdentityToken } from './token-sources/managed-identity.js'
import type { Token } from './token-response.js'

/**
 * One acquisition: a fresh deadline ('timeout-seconds') and retry budget ('max-attempts') around
 * the token source the settings chose. The step (run.ts) calls it once; the renewer
 * (renewal/renewer.ts) calls it for every renewal, so both follow the same rules.
 */
export function acquireToken(settings: Settings, io: Io): Promise<Token> {
  return underDeadline(settings, io, retry => acquire(settings, io, retry))
}

/**
 * A client assertion made from the step's own credential, as the app's token request would send
 * it (a certificate assertion for the token URL, the job's GitHub ID token, a managed identity's
 * exchange token), under the same deadline and retries: what 'azure-credentials' hands to later
 * steps in AZURE_FEDERATED_TOKEN_FILE. Entra ID takes each in the same client_assertion field.
 */
export function acquireAssertion(settings: Settings, io: Io): Promise<string> {
  return underDeadline(settings, io, async (retry, signal) => {
    const { source } = settings
    if (source.kind !== 'entra') throw new Error('a managed identity of its own has no client assertion')
    const credential = createCredential(source.credential, settings, io, retry)
    const { client_assertion: assertion } = await credential.authenticate({ tokenUrl: settings.tokenUrl, signal })
    if (!assertion) throw new ActionError('invalid-input', `${credential.label} gives no client assertion.`, { input: 'azure-credentials' })
    return assertion
  })
}

/**
 * Runs `work` with a retry bound to a fresh deadline, and the deadline's signal. Whatever happens
 * in it (a request that never settles included), the deadline ends it.
 */
function underDeadline<T>(settings: Settings, io: Io, work: (retry: Retry, signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = startDeadline(io.now, settings.timeoutMs)
  const budget: RetryBudget = { maxAttempts: settings.maxAttempts, deadline: deadline.at, timeoutSeconds: settings.timeoutMs / 1000 }
  const retry: Retry = (what, attempt) => withRetry(what, () => attempt(deadline.attemptSignal()), budget, io, io.log)
  return deadline.bound(work(retry, deadline.signal))
}

/**
 * A token from the source the settings chose: the Entra token endpoint, or a managed identity.
 * async, so that a credential refused while it is built rejects through the deadline's bound too.
 */
async function acquire(settings: Settings, io: Io, retry: Retry): Promise<Token> {
  const { source } = settings
  if (source.kind === 'managed-identity') {
    // A managed identity endpoint takes the resource, not a scope (learn.microsoft.com, "How to use
    // managed identities ... to acquire an access token"): the scope without /.default.
    const resource = settings.scope.replace(/\/\.default$/, '')
    io.log.debug(`Requesting a token for ${resource} from the managed identity endpoint`)
    return retry('managed identity token request', signal => requestManagedIdentityToken(io, source.identity, resource, signal))
  }
  const credential = createCredential(source.credential, settings, io, retry)
  io.log.debug(`Requesting a token from ${settings.tokenUrl} for ${settings.scope} with ${credential.label}`)
  return retry('token request', signal => requestEntraToken(io, settings, credential, signal))
}

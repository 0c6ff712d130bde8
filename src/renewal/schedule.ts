import { decodeClaims } from '../jwt.js'
import type { Token } from '../token-response.js'

// @azure/identity's WorkloadIdentityCredential keeps the file's content for 5 minutes
// (Azure/azure-sdk-for-js, sdk/identity/identity/src/credentials/workloadIdentityCredential.ts,
// readFileContents: "Cached assertions expire after 5 minutes"), and a token request takes a moment.
const CLIENT_CACHE_MS = 5 * 60_000
const USE_MARGIN_MS = 60_000
// Even a long-lived assertion is renewed at least this often; a short one at least four times in its life.
const MAX_ASSERTION_PERIOD_MS = 60 * 60_000
const MIN_PERIOD_MS = 1000
const RETRY_MIN_MS = 5000
const RETRY_CAP_MS = 60_000

/**
 * When to renew a token received at `now`: at the issuer's `refresh_in` when it gave one
 * (MSAL's refreshOn), otherwise when half its remaining lifetime has passed, as MSAL and the
 * Azure SDKs renew ahead of expiry. Never later than the middle of its life.
 */
export function tokenRenewalAt(token: Pick<Token, 'expiresOn' | 'refreshIn'>, now: number): number {
  const half = (token.expiresOn.getTime() - now) / 2
  const advised = token.refreshIn === undefined ? half : Math.min(half, token.refreshIn * 1000)
  return now + Math.max(MIN_PERIOD_MS, Math.round(advised))
}

/**
 * When to replace the assertion written at `now`, so that a client that reads the file at any
 * moment and keeps the content for 5 minutes still holds a valid one when it uses it:
 * renewal comes while more than 5 minutes and a margin are left. A certificate assertion (ours,
 * 10 minutes) is renewed every 4 minutes. An assertion that lives 5 minutes or less (GitHub's ID
 * token) cannot meet that: it is renewed a quarter of the way through its life (every 75 s for
 * GitHub's), which keeps what a client reads as fresh as it can be
 * (docs/long-jobs-and-sdks.md#azure-credentials-later-steps-sign-in-as-the-same-app).
 */
export function assertionRenewalAt(assertion: string, now: number): number {
  const expiresOn = expiryOf(assertion)
  if (expiresOn === undefined) return now + 60_000
  const lifetime = expiresOn - now
  const beforeClientsNeedIt = lifetime - CLIENT_CACHE_MS - USE_MARGIN_MS
  const period = beforeClientsNeedIt >= lifetime / 4 ? Math.min(beforeClientsNeedIt, MAX_ASSERTION_PERIOD_MS) : lifetime / 4
  return now + Math.max(MIN_PERIOD_MS, Math.round(period))
}

/**
 * When to try again after a renewal failed for now (its own retries spent): within a minute, and
 * sooner (a quarter of what is left, at least 5 s) while what is in the file still lives, so that
 * a short outage costs little. Once it has expired, once a minute: an outage that outlasts the
 * token must not turn into a request every few seconds for the rest of the job.
 */
export function retryAt(now: number, expiresAt: number | undefined): number {
  const left = expiresAt === undefined ? 0 : expiresAt - now
  return now + (left <= 0 ? RETRY_CAP_MS : Math.round(Math.min(RETRY_CAP_MS, Math.max(RETRY_MIN_MS, left / 4))))
}

/** A JWT's `exp` in epoch milliseconds, or undefined when it has none that can be read. */
export function expiryOf(jwt: string): number | undefined {
  const decoded = decodeClaims(jwt)
  const exp = 'claims' in decoded ? decoded.claims.exp : undefined
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
}

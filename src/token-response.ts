import { cutAtBoundary, singleLine } from './inert-text.js'
import { tooShortToBeSecret } from './secret-length.js'

/** An access token and how long it lives. */
export interface Token {
  accessToken: string
  /** Seconds, as the endpoint returned it; from expires_on when it gave only that (App Service). */
  expiresIn: number
  /** When the request was sent plus expiresIn, as MSAL counts it; expires_on when there is one. */
  expiresOn: Date
  /**
   * Seconds after which the issuer advises getting a new token (`refresh_in`, which Entra ID adds
   * to long-lived tokens and MSAL reads as refreshOn); undefined when absent or not below expiresIn.
   */
  refreshIn?: number
}

// RFC 6750 §2.1 b64token: what may follow "Bearer " in an Authorization header. Anything else
// (CR, LF, spaces, non-ASCII) would break, or inject into, the header a later step builds.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
// Entra tokens live 60 to 90 minutes, managed identity tokens about 24 hours: two days is generous.
const MAX_LIFETIME_S = 2 * 86_400
// How far the endpoint's clock may be from ours for expires_on to still be believed.
const CLOCK_SKEW_S = 300
// An ISO 8601 date and time with its offset, the date form of expires_on that MSAL reads
// (msal-node TimeUtils isIso8601); Date.parse alone would take far looser text.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i

/**
 * Checks a successful token response (RFC 6749 §5.1) before anything is masked or written:
 * a b64token access_token, a Bearer token_type when there is one, and its lifetime. Entra ID and
 * IMDS give a whole positive expires_in (number or string of digits), IMDS an expires_on too; App
 * Service and Container Apps give only expires_on (learn.microsoft.com, "Managed identities for App
 * Service and Azure Functions", REST endpoint reference; MSAL Node's ManagedIdentityTokenResponse),
 * in epoch seconds (number or string) or as an ISO 8601 date, and expires_in is derived from it.
 * Returns the token, or what is wrong with the body.
 */
export function readTokenResponse(body: Record<string, unknown> | undefined, sentAt: number): Token | { problem: string } {
  if (!body) return { problem: 'a body that is not JSON' }
  const accessToken = body.access_token
  if (typeof accessToken !== 'string' || !accessToken) {
    return { problem: `JSON without an access_token (fields: ${cutAtBoundary(singleLine(Object.keys(body).join(', ')), 200) || 'none'})` }
  }
  if (!B64TOKEN.test(accessToken)) return { problem: 'an access_token with characters a bearer token cannot have' }
  // Masking a value of a few characters would blank them out all over the log.
  const short = tooShortToBeSecret(accessToken)
  if (short) return { problem: `an access_token ${short}` }
  const tokenType = body.token_type
  if (tokenType !== undefined && !(typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer')) {
    return {
      problem: `a token_type that is not Bearer (${typeof tokenType === 'string' ? cutAtBoundary(singleLine(tokenType), 40) : typeof tokenType}), which does not work as a bearer token`
    }
  }
  // Managed identity endpoints say when, in epoch seconds or as a date: that is the expiry to report.
  const sentAtS = sentAt / 1000
  const expiresOn =
    body.expires_on === undefined
      ? undefined
      : readEpochSeconds(body.expires_on, {
          min: Math.floor(sentAtS) - CLOCK_SKEW_S,
          max: Math.ceil(sentAtS) + MAX_LIFETIME_S + CLOCK_SKEW_S
        })
  if (expiresOn === null) return { problem: 'no valid expires_on' }
  if (body.expires_in === undefined && expiresOn !== undefined) {
    // App Service's answer: the lifetime is what is left of it when the request was sent.
    const expiresIn = Math.floor(expiresOn - sentAtS)
    if (expiresIn < 1) return { problem: `an expires_on that has passed (${new Date(expiresOn * 1000).toISOString()})` }
    return { accessToken, expiresIn, expiresOn: new Date(expiresOn * 1000) }
  }
  const expiresIn = readSeconds(body.expires_in)
  if (expiresIn === undefined)
    return { problem: body.expires_in === undefined ? 'no valid expires_in or expires_on' : 'no valid expires_in' }
  const refreshIn = readSeconds(body.refresh_in, { max: expiresIn - 1 })
  const advice = refreshIn === undefined ? {} : { refreshIn }
  return {
    accessToken,
    expiresIn,
    expiresOn: expiresOn === undefined ? new Date(sentAt + expiresIn * 1000) : new Date(expiresOn * 1000),
    ...advice
  }
}

/** expires_on in whole epoch seconds within [min, max]: a number, a string of digits, or an ISO 8601 date; null when it is none of these. */
function readEpochSeconds(value: unknown, range: { min: number; max: number }): number | null {
  const date = typeof value === 'string' && ISO_8601.test(value) ? Date.parse(value) : NaN
  const seconds = Number.isNaN(date) ? readSeconds(value, range) : readSeconds(Math.floor(date / 1000), range)
  return seconds ?? null
}

/** A whole number of seconds in [min, max] (by default 1 s to two days), as a JSON number or a string of digits. */
function readSeconds(value: unknown, { min = 1, max = MAX_LIFETIME_S } = {}): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined
}

import { singleLine } from './inert-text.js'

/** An access token and how long it lives. */
export interface Token {
  accessToken: string
  /** Seconds, as the endpoint returned it. */
  expiresIn: number
  /** When the request was sent plus expiresIn, as MSAL counts it. */
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
const MIN_TOKEN_LENGTH = 16
// How far the endpoint's clock may be from ours for expires_on to still be believed.
const CLOCK_SKEW_S = 300

/**
 * Checks a successful token response (RFC 6749 §5.1) before anything is masked or written:
 * a b64token access_token, a whole positive expires_in (number or string of digits), a plausible
 * expires_on when there is one (managed identity), and a Bearer token_type when there is one.
 * Returns the token, or what is wrong with the body.
 */
export function readTokenResponse(body: Record<string, unknown> | undefined, sentAt: number): Token | { problem: string } {
  if (!body) return { problem: 'a body that is not JSON' }
  const accessToken = body.access_token
  if (typeof accessToken !== 'string' || !accessToken) {
    return { problem: `JSON without an access_token (fields: ${singleLine(Object.keys(body).join(', ')).slice(0, 200) || 'none'})` }
  }
  if (!B64TOKEN.test(accessToken)) return { problem: 'an access_token with characters a bearer token cannot have' }
  // Masking a value of a few characters would blank them out all over the log.
  if (accessToken.length < MIN_TOKEN_LENGTH)
    return { problem: `an access_token of ${accessToken.length} character${accessToken.length === 1 ? '' : 's'}, too short to be one` }
  const tokenType = body.token_type
  if (tokenType !== undefined && !(typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer')) {
    return {
      problem: `a token_type that is not Bearer (${typeof tokenType === 'string' ? singleLine(tokenType).slice(0, 40) : typeof tokenType}), which does not work as a bearer token`
    }
  }
  const expiresIn = readSeconds(body.expires_in)
  if (expiresIn === undefined) return { problem: 'no valid expires_in' }
  const refreshIn = readSeconds(body.refresh_in, { max: expiresIn - 1 })
  const advice = refreshIn === undefined ? {} : { refreshIn }
  if (body.expires_on === undefined) return { accessToken, expiresIn, expiresOn: new Date(sentAt + expiresIn * 1000), ...advice }
  // Managed identity endpoints also say when, in epoch seconds: that is the expiry to report.
  const expiresOn = readSeconds(body.expires_on, {
    min: Math.floor(sentAt / 1000) - CLOCK_SKEW_S,
    max: Math.ceil(sentAt / 1000) + MAX_LIFETIME_S + CLOCK_SKEW_S
  })
  if (expiresOn === undefined) return { problem: 'no valid expires_on' }
  return { accessToken, expiresIn, expiresOn: new Date(expiresOn * 1000), ...advice }
}

/** A whole number of seconds in [min, max] (by default 1 s to two days), as a JSON number or a string of digits. */
function readSeconds(value: unknown, { min = 1, max = MAX_LIFETIME_S } = {}): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined
}

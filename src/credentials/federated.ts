import { cutAtBoundary, singleLine } from '../inert-text.js'
import type { Logger } from '../io.js'
import { decodeClaims } from '../jwt.js'
import { shellQuote } from '../shell-quote.js'
import { JWT_BEARER, type Credential, type RejectionNotes } from './credential.js'

/** The three values an app's federated identity credential compares, case-sensitively. */
export interface Presented {
  issuer: string
  subject: string
  audience: string
}

export type Part = keyof Presented

/**
 * Someone other than the app vouches for it with a JWT: GitHub for a job, a Kubernetes cluster
 * for a pod, Entra ID for a managed identity. Each is a file of its own; they share the way the
 * JWT is sent and the way a mismatch is explained (federatedCredential below).
 */
export interface AssertionProvider {
  /** For logs, after "with". */
  label: string
  /** Names the token in explanations: 'The GitHub ID token', ... */
  tokenName: string
  /** The assertion for one attempt, already masked. */
  assertion(signal: AbortSignal): Promise<string>
  /** What the app's federated credential must hold to accept a token with these claims. */
  expected(claims: Record<string, unknown>): Presented
  /** Prefix of the name of the federated credential suggested in the az command. */
  namePrefix: string
  /** The usual traps, by the part they concern, listed under a mismatch. */
  traps: [Part, string][]
  /** More lines under a mismatch (a changed audience, a trailing slash ...). */
  notes?(presented: Presented): string[]
}

/**
 * Workload identity federation (RFC 7523 §2.2 client assertion): the provider's JWT is the
 * client assertion, asked of the provider for every attempt, as MSAL's ClientAssertion takes a
 * callback (a provider that makes a request keeps a valid one: reuseWhileValid below).
 */
export function federatedCredential(provider: AssertionProvider, clientId: string, log: Pick<Logger, 'debug'>): Credential {
  let presented: Presented | undefined
  return {
    label: provider.label,
    async authenticate({ signal }) {
      const assertion = await provider.assertion(signal)
      const decoded = decodeClaims(assertion)
      presented = provider.expected('claims' in decoded ? decoded.claims : {})
      log.debug(`${provider.tokenName} presented: iss=${presented.issuer} sub=${presented.subject} aud=${presented.audience}`)
      return { client_assertion_type: JWT_BEARER, client_assertion: assertion }
    },
    notesOnRejection: code => (presented ? explainFederation(code, presented, provider, clientId) : { details: [] })
  }
}

// A fetched assertion is sent again while it has this long left: more than any back-off, and a
// clock skew between us and Entra ID well within the five minutes Entra tolerates.
const REUSE_MARGIN_MS = 120_000

/**
 * Fetches an assertion at most once while it stays valid: a token request retried after a 503
 * sends the same JWT again, as the Azure SDK's retry policy resends the same request, so one
 * failing request does not cost an ID token (or managed identity) request too. A JWT without a
 * numeric `exp` is fetched again every time.
 */
export function reuseWhileValid(
  fetch: (signal: AbortSignal) => Promise<string>,
  now: () => number
): (signal: AbortSignal) => Promise<string> {
  let kept: { assertion: string; expiresAt: number } | undefined
  return async signal => {
    if (kept && kept.expiresAt - now() > REUSE_MARGIN_MS) return kept.assertion
    const assertion = await fetch(signal)
    const decoded = decodeClaims(assertion)
    const exp = 'claims' in decoded ? decoded.claims.exp : undefined
    kept = typeof exp === 'number' && Number.isFinite(exp) ? { assertion, expiresAt: exp * 1000 } : undefined
    return assertion
  }
}

// Far above a real claim (Entra limits a federated credential's subject to 600 characters), and
// a bound on what a token from elsewhere (the runner's ID-token endpoint, a file) can print.
const MAX_CLAIM = 1000

/** A claim as text for an explanation: arrays joined, anything else shown as absent; bounded. */
export function claimText(value: unknown): string {
  return cutAtBoundary(singleLine(Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '(none)'), MAX_CLAIM)
}

// Which part of the federated credential each AADSTS code blames.
const BLAMED: Record<number, Part> = { 700211: 'issuer', 700212: 'audience', 700213: 'subject', 7002138: 'subject', 7002131: 'subject' }
const FEDERATION_CODES = new Set([70021, 700024, ...Object.keys(BLAMED).map(Number)])

/** Shows what was presented next to what Entra expects, and the federated credential that would match. */
function explainFederation(code: number | undefined, presented: Presented, provider: AssertionProvider, clientId: string): RejectionNotes {
  if (code === undefined || !FEDERATION_CODES.has(code)) return { details: [] }
  const blamed = BLAMED[code]
  const mark = (part: Part) => (blamed === part ? '  <- differs' : '')
  const parameters = JSON.stringify({
    name: `${provider.namePrefix}${presented.subject.replace(/[^A-Za-z0-9_-]+/g, '-')}`.slice(0, 120),
    issuer: presented.issuer,
    subject: presented.subject,
    audiences: [presented.audience]
  })
  const notes = [
    `${provider.tokenName} presented (claims only):`,
    `  issuer   (iss): ${presented.issuer}${mark('issuer')}`,
    `  subject  (sub): ${presented.subject}${mark('subject')}`,
    `  audience (aud): ${presented.audience}${mark('audience')}`,
    `Entra ID expects a federated credential on app ${clientId} with exactly these three values${blamed ? `; it says the ${blamed} differs` : ''}.`,
    ...(provider.notes?.(presented) ?? []),
    'A federated credential that matches:',
    `  az ad app federated-credential create --id ${shellQuote(clientId)} --parameters ${shellQuote(parameters)}`,
    ...provider.traps.filter(([part]) => !blamed || part === blamed).map(([, trap]) => `- ${trap}`)
  ]
  return { details: notes }
}

import { ActionError } from '../errors.js'
import type { Io } from '../io.js'
import { decodeClaims } from '../jwt.js'
import { parseJson } from '../http-transport.js'
import { proxyFor, type ProxySettings } from '../proxy.js'
import { isTransientStatus } from '../retry.js'
import { shellQuote } from '../shell-quote.js'
import { JWT_BEARER, type Credential, type RejectionNotes } from './credential.js'

/** Runs one attempt function under the run's retry budget and deadline. */
export type Retry = <T>(what: string, attempt: (signal: AbortSignal) => Promise<T>) => Promise<T>

export interface OidcSettings {
  audience: string
  requestUrl: string
  requestToken: string
  clientId: string
  /** The cloud's default audience, to tell a changed one apart. */
  defaultAudience: string
  proxy: ProxySettings
}

/** What the ID token said about this job: its claims, never the token. */
interface Presented {
  iss: string
  sub: string
  aud: string
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'

/**
 * Workload identity federation: the job's GitHub ID token is the client assertion. A fresh one
 * is fetched for every exchange attempt (it lives about five minutes), with the same transient
 * retries and deadline as the token request. core.getIDToken is not used because its retries
 * skip 500s and connection errors and it cannot be cut off at the deadline.
 */
export function githubOidcCredential(settings: OidcSettings, io: Pick<Io, 'http' | 'mask' | 'log'>, retry: Retry): Credential {
  let presented: Presented | undefined
  const url = new URL(settings.requestUrl)
  url.searchParams.set('audience', settings.audience)

  const fetchIdToken = async (signal: AbortSignal): Promise<string> => {
    const response = await io.http.request({
      method: 'GET',
      url: url.href,
      headers: { authorization: `Bearer ${settings.requestToken}`, accept: 'application/json' },
      signal,
      proxy: proxyFor(url.href, settings.proxy)
    })
    const value = parseJson(response.body)?.value
    if (response.status === 200 && typeof value === 'string' && value) {
      io.mask(value)
      return value
    }
    throw new ActionError(
      'id-token',
      `GitHub did not give an ID token: HTTP ${response.status}${response.status === 200 ? ' without a value' : ''}.`,
      {
        transient: isTransientStatus(response.status),
        hint:
          response.status === 401 || response.status === 403
            ? "The job's ID-token request was refused; check that the job has 'permissions: id-token: write'."
            : undefined
      }
    )
  }

  return {
    label: "the job's GitHub ID token (OIDC)",
    async authenticate() {
      const idToken = await retry('GitHub ID token request', fetchIdToken)
      presented = readPresented(idToken)
      io.log.debug(`GitHub ID token: iss=${presented.iss} sub=${presented.sub} aud=${presented.aud}`)
      return { client_assertion_type: JWT_BEARER, client_assertion: idToken }
    },
    notesOnRejection: code => (presented ? explainFederation(code, presented, settings) : { details: [] })
  }
}

function readPresented(idToken: string): Presented {
  const decoded = decodeClaims(idToken)
  const claims = 'claims' in decoded ? decoded.claims : {}
  const text = (value: unknown) => (Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '(none)')
  return { iss: text(claims.iss), sub: text(claims.sub), aud: text(claims.aud) }
}

type Part = 'issuer' | 'subject' | 'audience'
// Which part of the federated credential each AADSTS code blames.
const BLAMED: Record<number, Part> = { 700211: 'issuer', 700212: 'audience', 700213: 'subject', 7002138: 'subject', 7002131: 'subject' }
const FEDERATION_CODES = new Set([70021, 700024, ...Object.keys(BLAMED).map(Number)])

// The usual traps, by the part they concern (docs.github.com "OpenID Connect reference", subject
// claims; learn.microsoft.com "Configure an app to trust an external identity provider").
const TRAPS: [Part, string][] = [
  ['subject', "A job with 'environment:' presents repo:OWNER/REPO:environment:NAME, not its branch."],
  ['subject', 'A pull request presents repo:OWNER/REPO:pull_request (underscore), not pull-request.'],
  ['subject', 'Matching is case-sensitive: write owner and repository exactly as GitHub does (AADSTS7002138).'],
  [
    'subject',
    'Repositories created, renamed or transferred after 2026-07-15, and those that opted in, present the immutable form repo:OWNER@OWNER_ID/REPO@REPO_ID:..., which the portal now proposes; older ones present repo:OWNER/REPO:....'
  ],
  ['subject', 'A customised subject template (gh api repos/OWNER/REPO/actions/oidc/customization/sub) replaces the whole subject.'],
  [
    'issuer',
    `The issuer is ${GITHUB_ISSUER} with no trailing slash; GitHub Enterprise Server (https://HOST/_services/token) and enterprises with a unique issuer (${GITHUB_ISSUER}/ENTERPRISE) present their own.`
  ],
  ['audience', "The audience must equal the federated credential's single audience; never append /.default."]
]

/** Shows what was presented next to what Entra expects, and the credential that would match. */
function explainFederation(code: number | undefined, presented: Presented, settings: OidcSettings): RejectionNotes {
  if (code === undefined || !FEDERATION_CODES.has(code)) return { details: [] }
  const blamed = BLAMED[code]
  const mark = (part: Part) => (blamed === part ? '  <- differs' : '')
  const parameters = JSON.stringify({
    name: `github-${presented.sub.replace(/[^A-Za-z0-9_-]+/g, '-')}`.slice(0, 120),
    issuer: presented.iss,
    subject: presented.sub,
    audiences: [presented.aud]
  })
  const notes = [
    'The GitHub ID token presented (claims only):',
    `  issuer   (iss): ${presented.iss}${mark('issuer')}`,
    `  subject  (sub): ${presented.sub}${mark('subject')}`,
    `  audience (aud): ${presented.aud}${mark('audience')}`,
    `Entra ID expects a federated credential on app ${settings.clientId} with exactly these three values${blamed ? `; it says the ${blamed} differs` : ''}.`,
    presented.iss.endsWith('/') ? 'The issuer ends in a slash here; a federated credential never should.' : '',
    settings.audience !== settings.defaultAudience
      ? `'oidc-audience' is '${settings.audience}', not this cloud's default ${settings.defaultAudience}: the federated credential must list the same value.`
      : '',
    'A federated credential that matches this job:',
    `  az ad app federated-credential create --id ${shellQuote(settings.clientId)} --parameters ${shellQuote(parameters)}`,
    ...TRAPS.filter(([part]) => !blamed || part === blamed).map(([, trap]) => `- ${trap}`)
  ]
  if (code === 70021)
    notes.push(
      '- A federated credential created in the last few minutes may not have propagated yet: wait a few minutes and run the job again.'
    )
  return { details: notes.filter(Boolean) }
}

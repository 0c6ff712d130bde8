import { ActionError } from '../errors.js'
import { parseJson } from '../http-transport.js'
import type { Io } from '../io.js'
import { proxyFor, type ProxySettings } from '../proxy.js'
import { isTransientStatus } from '../retry.js'
import { tooShortToBeSecret } from '../secret-length.js'
import type { Retry } from './credential.js'
import { claimText, reuseWhileValid, type AssertionProvider, type Presented } from './federated.js'

export interface GithubIdTokenSettings {
  audience: string
  requestUrl: string
  requestToken: string
  /** The cloud's default audience, to tell a changed one apart. */
  defaultAudience: string
  /** The AKS token file that GitHub OIDC took the place of, if any. */
  ignoredTokenFile?: string
  proxy: ProxySettings
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * The job's GitHub ID token (docs.github.com, "OpenID Connect reference"), with the same transient
 * retries and deadline as the token request, and fetched again only when it has less than two
 * minutes left (it lives about five). core.getIDToken is not used because its retries skip 500s and
 * connection errors and it cannot be cut off at the deadline.
 */
export function githubIdToken(settings: GithubIdTokenSettings, io: Pick<Io, 'http' | 'mask' | 'now'>, retry: Retry): AssertionProvider {
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
    // Only a JWS compact token is passed on: anything else would be sent, and echoed, in a form body;
    // and one too short to be real is not masked (it would blank out its letters all over the log).
    if (response.status === 200 && typeof value === 'string' && JWS_COMPACT.test(value) && !tooShortToBeSecret(value)) {
      io.mask(value)
      return value
    }
    throw new ActionError(
      'id-token',
      `GitHub did not give an ID token: HTTP ${response.status}${response.status === 200 ? ' without a JWT in value' : ''}.`,
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
    tokenName: 'The GitHub ID token',
    assertion: reuseWhileValid(() => retry('GitHub ID token request', fetchIdToken), io.now),
    expected: claims => ({ issuer: claimText(claims.iss), subject: claimText(claims.sub), audience: claimText(claims.aud) }),
    namePrefix: 'github-',
    traps: TRAPS,
    notes: (presented: Presented) =>
      [
        presented.issuer.endsWith('/') ? 'The issuer ends in a slash here; a federated credential never should.' : '',
        settings.audience !== settings.defaultAudience
          ? `'oidc-audience' is '${settings.audience}', not this cloud's default ${settings.defaultAudience}: the federated credential must list the same value.`
          : '',
        settings.ignoredTokenFile
          ? `The GitHub ID token was sent, not the AKS workload identity token in AZURE_FEDERATED_TOKEN_FILE (${settings.ignoredTokenFile}): GitHub OIDC comes first. If the app trusts the cluster, remove 'permissions: id-token: write' from the job, or set 'federated-token-file' to that file.`
          : ''
      ].filter(Boolean)
  }
}

// The usual traps, by the part they concern (docs.github.com "OpenID Connect reference", subject
// claims; learn.microsoft.com "Configure an app to trust an external identity provider").
const TRAPS: AssertionProvider['traps'] = [
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

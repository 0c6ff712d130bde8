import type { RejectionNotes } from './credentials/credential.js'
import { ActionError } from './errors.js'
import { cutAtBoundary, serverText, singleLine } from './inert-text.js'
import { isTransientStatus } from './retry.js'
import { isGuid } from './identifiers.js'

/** What a rejection is explained against: the settings the user controls. */
export interface RejectionContext {
  clientId: string
  tenantId: string
  cloud: string
  scope: string
  /** Our client-request-id header, which the sign-in logs record. */
  clientRequestId: string
  /** host[:port] of the token endpoint, to name it when the answer is not Entra's. */
  host: string
}

interface Explanation {
  /** What happened, in plain words. */
  summary: string
  /** The input to change; omitted when the fix is in the portal, not the workflow. */
  input?: string
  fix: (c: RejectionContext) => string
  /** Another attempt may succeed (Entra's own transient service errors, throttling). */
  transient?: boolean
}

const CERTIFICATE_FIX =
  "Upload this certificate's public part (.cer/.pem) to the app registration under Certificates & secrets > Certificates, or use the certificate already registered there; the SHA-256 thumbprint and validity of the one presented are below."
const FEDERATION_FIX =
  "Make the app registration's federated credential match the token presented below exactly (Certificates & secrets > Federated credentials): issuer, subject and audience are compared case-sensitively."

/**
 * AADSTS codes and how the user fixes them (learn.microsoft.com/entra/identity-platform/reference-error-codes,
 * "Microsoft Entra authentication and authorization error codes"). Microsoft warns that
 * codes and texts may change, so an unknown code falls back to Entra's own description.
 */
const EXPLANATIONS: Record<number, Explanation> = {
  7000215: {
    summary: 'The client secret is wrong.',
    input: 'client-secret',
    fix: c =>
      `Put the secret's Value (shown once, when the secret is created) into 'client-secret', not its Secret ID, and make sure it is a secret of this app (client ID ${c.clientId}).`
  },
  7000222: {
    summary: 'The client secret has expired.',
    input: 'client-secret',
    fix: c =>
      `Create a new client secret for app ${c.clientId} (Certificates & secrets > New client secret, or 'az ad app credential reset --id ${c.clientId} --append') and update the repository secret; better, move to GitHub OIDC and store no secret at all.`
  },
  7000218: {
    summary: 'No client credential reached Entra ID.',
    input: 'client-secret',
    fix: () => "Set one credential: GitHub OIDC, 'managed-identity', 'federated-token-file', 'client-certificate' or 'client-secret'."
  },
  700016: {
    summary: 'No app with this client ID exists in this tenant.',
    input: 'client-id',
    fix: c =>
      `Check that 'client-id' (${c.clientId}) is the Application (client) ID, not the Object ID; that 'tenant-id' (${c.tenantId}) is the directory the app is registered or consented in; and that 'cloud' (${c.cloud}) is the cloud of that tenant. A new app can take a minute to appear.`
  },
  7000112: {
    summary: "The app's service principal is disabled in this tenant.",
    fix: c =>
      `Enable it: Enterprise applications > the app (${c.clientId}) > Properties > Enabled for users to sign in = Yes, or 'az ad sp update --id ${c.clientId} --set accountEnabled=true'.`
  },
  90002: {
    summary: 'The tenant was not found.',
    input: 'tenant-id',
    fix: c =>
      isGuid(c.tenantId)
        ? `No tenant in the ${c.cloud} cloud has the GUID in 'tenant-id' (${c.tenantId}): copy the Directory (tenant) ID from the app registration's Overview page, and if the tenant is in a national cloud, set 'cloud'.`
        : `No tenant has the domain in 'tenant-id' (${c.tenantId}): check it for typos, or use the Directory (tenant) ID (a GUID) from the app registration's Overview page; a tenant in a national cloud needs 'cloud' (now ${c.cloud}).`
  },
  900023: {
    summary: 'The tenant identifier is neither a GUID nor a valid domain.',
    input: 'tenant-id',
    fix: () => "Use the Directory (tenant) ID from the app registration's Overview page."
  },
  90038: {
    summary: 'The tenant lives in another Microsoft cloud.',
    input: 'cloud',
    fix: () => "Set 'cloud' to the tenant's cloud: usgov, usgov-dod or china."
  },
  9001023: {
    summary: 'The client-credentials grant needs a specific tenant.',
    input: 'tenant-id',
    fix: () => "Set 'tenant-id' to the Directory (tenant) ID, not common or consumers."
  },
  1002012: {
    summary: "The scope is not a resource's /.default.",
    input: 'scope',
    fix: c =>
      `Ask for the resource's /.default, such as ${c.scope.replace(/\/[^/]*$/, '')}/.default; grant the individual permissions on the app registration.`
  },
  70011: {
    summary: 'The scope is not valid.',
    input: 'scope',
    fix: () => "Give one resource's /.default, such as https://graph.microsoft.com/.default."
  },
  700022: {
    summary: 'The scope names more than one resource.',
    input: 'scope',
    fix: () => "An app-only token is for one resource: give that resource's /.default only."
  },
  500011: {
    summary: 'The resource in the scope does not exist in this tenant.',
    input: 'scope',
    fix: c =>
      `Check the resource's application ID URI in 'scope' (${c.scope}); for Microsoft Graph in a national cloud, set 'cloud' and leave 'scope' empty.`
  },
  700027: { summary: "The client assertion's signature was not accepted.", input: 'client-certificate', fix: () => CERTIFICATE_FIX },
  7000274: {
    summary: 'The certificate is not registered on the app, or its key does not match.',
    input: 'client-certificate',
    fix: () => CERTIFICATE_FIX
  },
  7000277: { summary: "The certificate's key was not accepted.", input: 'client-certificate', fix: () => CERTIFICATE_FIX },
  50012: { summary: 'The client assertion was not accepted.', input: 'client-certificate', fix: () => CERTIFICATE_FIX },
  7000214: {
    summary: 'The certificate has been revoked.',
    input: 'client-certificate',
    fix: () => 'Create a new certificate, upload its public part to the app registration and update the secret.'
  },
  1000502: {
    summary: 'The certificate is outside its validity period.',
    input: 'client-certificate',
    fix: () => 'Create a new certificate, upload its public part to the app registration and update the secret.'
  },
  700024: {
    summary: 'The client assertion is outside its time range (not yet valid or expired).',
    fix: () =>
      "The runner's clock may be off, or the federated token expired (a GitHub ID token lives five minutes; a token file must be rotated); run the job again."
  },
  50032: {
    summary: 'The RSA key is too weak.',
    input: 'client-certificate',
    fix: () => 'Use a certificate with an RSA key of at least 2048 bits.'
  },
  70021: {
    summary: 'No federated credential on the app matches the token presented.',
    fix: () =>
      `${FEDERATION_FIX} A federated credential created in the last few minutes may not have propagated yet: wait and run the job again.`
  },
  700211: { summary: "No federated credential matches the token's issuer.", fix: () => FEDERATION_FIX },
  700212: { summary: "No federated credential matches the token's audience.", input: 'oidc-audience', fix: () => FEDERATION_FIX },
  700213: { summary: "No federated credential matches the token's subject.", fix: () => FEDERATION_FIX },
  7002138: {
    summary: "A federated credential matches the token's subject only when case is ignored.",
    fix: () => `${FEDERATION_FIX} Owner and repository names must be written exactly as GitHub writes them.`
  },
  7002131: { summary: "The flexible federated credential's expression did not match the token.", fix: () => FEDERATION_FIX },
  700222: {
    summary: 'The assertion is an access token issued by Entra ID, which federation does not accept.',
    fix: () =>
      "Federation takes the external token as it comes (a GitHub ID token, a Kubernetes service-account token), or a managed identity's token for the token-exchange audience; nothing should be exchanged before this step."
  },
  700025: {
    summary: 'The app is a public client, which cannot use client credentials.',
    fix: c => `Turn off "Allow public client flows" in the app registration (${c.clientId}) under Authentication.`
  },
  53003: {
    summary: 'A Conditional Access policy for workload identities blocked the sign-in.',
    fix: () =>
      'Look up the sign-in with the IDs below (Entra admin center > Sign-in logs > Service principal sign-ins) to see which policy; it often restricts locations, which GitHub-hosted runners fall outside.'
  },
  // Entra's own transient failures and throttling: retried with back-off.
  50000: { summary: 'Entra ID had an internal error.', fix: retryLater, transient: true },
  50033: { summary: 'Entra ID had a transient error.', fix: retryLater, transient: true },
  90006: { summary: 'Entra ID had a transient error.', fix: retryLater, transient: true },
  90012: { summary: 'Entra ID timed out.', fix: retryLater, transient: true },
  90024: { summary: 'Entra ID could not reach its directory.', fix: retryLater, transient: true },
  90033: { summary: 'Entra ID is temporarily unavailable.', fix: retryLater, transient: true },
  90090: { summary: 'Entra ID had a transient error.', fix: retryLater, transient: true },
  90055: { summary: 'The tenant is being throttled.', fix: retryLater, transient: true },
  50196: { summary: 'Entra ID saw too many identical requests in a short time.', fix: retryLater, transient: true }
}
// Aliases: the same cause, another code.
Object.assign(EXPLANATIONS, {
  7000216: EXPLANATIONS[7000218],
  700011: EXPLANATIONS[700016],
  900439: EXPLANATIONS[90038],
  700023: EXPLANATIONS[700022]
})

function retryLater(): string {
  return 'Run the job again in a few minutes; https://status.cloud.microsoft lists incidents.'
}

/** The OAuth error body of RFC 6749 §5.2 with Entra's fields, each one checked for its type. */
export interface EntraErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
}

// Bounds on what is printed of each field (a healthy answer's are far shorter: GUIDs, a timestamp,
// an error code, a description of a few hundred characters); a hostile server may send a megabyte.
const MAX_ID = 100
const MAX_ERROR = 200
const MAX_DESCRIPTION = 2000

/**
 * Reads an OAuth error from any JSON object: a field of an unexpected type (a number where text
 * belongs, error_codes that is not an array) is treated as absent, never trusted. Undefined when
 * the body is not an OAuth error at all (no string `error`). Every text field is redacted (the
 * masked secrets replaced: a gateway may echo the request) and bounded (serverText).
 */
export function readEntraError(body: Record<string, unknown> | undefined, redact: (text: string) => string): EntraErrorBody | undefined {
  if (!body || typeof body.error !== 'string') return undefined
  return {
    error: serverText(body.error, MAX_ERROR, redact),
    // Redacted, not cut: firstLine() takes the AADSTS text from its first line and bounds that.
    error_description: typeof body.error_description === 'string' ? redact(body.error_description) : '',
    error_codes: Array.isArray(body.error_codes) ? body.error_codes.filter((c): c is number => Number.isInteger(c)) : [],
    timestamp: serverText(body.timestamp, MAX_ID, redact),
    trace_id: serverText(body.trace_id, MAX_ID, redact),
    correlation_id: serverText(body.correlation_id, MAX_ID, redact)
  }
}

/** The AADSTS code: error_codes[0], else the number in the description. */
export function entraCode(body: Pick<EntraErrorBody, 'error_codes' | 'error_description'>): number | undefined {
  if (body.error_codes.length > 0) return body.error_codes[0]
  const match = /AADSTS(\d+)/.exec(body.error_description)
  return match ? Number(match[1]) : undefined
}

// RFC 6749 §5.2 as extended by OpenID Connect Core §3.1.2.6: the server's own "try again later".
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error'])

/**
 * Whether another attempt may succeed. A known AADSTS code decides when there is one; otherwise
 * the HTTP status (408, 429, 5xx) and the OAuth error (temporarily_unavailable, server_error)
 * do, and any other 4xx is final.
 */
export function isTransientRejection(status: number, body: Pick<EntraErrorBody, 'error' | 'error_codes' | 'error_description'>): boolean {
  const code = entraCode(body)
  if (code !== undefined && EXPLANATIONS[code]) return EXPLANATIONS[code].transient === true
  return isTransientStatus(status) || TRANSIENT_OAUTH_ERRORS.has(body.error)
}

/** Turns an OAuth error response into an ActionError in terms of the input to fix. */
export function explainEntraError(
  status: number,
  body: EntraErrorBody,
  context: RejectionContext,
  options: { retryAfterMs?: number; notesOnRejection?: (code: number | undefined) => RejectionNotes } = {}
): ActionError {
  const code = entraCode(body)
  const notes = options.notesOnRejection?.(code) ?? { details: [] }
  const known = code === undefined ? undefined : EXPLANATIONS[code]
  const description = firstLine(body.error_description)
  const label = code === undefined ? body.error : `AADSTS${code}`
  // Only an answer with Entra's own marks is blamed on Entra: a gateway or a wrong
  // 'authority-host' can answer with a bare OAuth error too.
  const fromEntra = code !== undefined || Boolean(body.trace_id || body.correlation_id)
  const who = fromEntra ? 'Entra ID refused the token request' : `The token endpoint at ${context.host} refused the token request`
  const message = `${who} (${label}, HTTP ${status}): ${known ? known.summary : description || body.error}`
  const details = [
    ...notes.details,
    known && description ? `Entra ID said: ${description}` : '',
    body.trace_id ? `Trace ID: ${body.trace_id}` : '',
    body.correlation_id ? `Correlation ID: ${body.correlation_id}` : '',
    body.timestamp ? `Timestamp: ${body.timestamp}` : '',
    `client-request-id: ${context.clientRequestId}`
  ].filter(Boolean)
  return new ActionError('entra-rejected', message, {
    input: known?.input,
    hint: notes.hint ?? known?.fix(context),
    details,
    transient: isTransientRejection(status, body),
    retryAfterMs: options.retryAfterMs,
    entraCode: code
  })
}

/**
 * The first line of Entra's description, which carries the AADSTS text, without the IDs that
 * Entra appends (they are printed once, on their own lines, from the body's own fields).
 */
function firstLine(text: string): string {
  // indexOf, not a backtracking regex: a hostile server may send a megabyte of spaces.
  const end = text.indexOf('\n')
  const line = end < 0 ? text : text.slice(0, end)
  const ids = line.indexOf('Trace ID:')
  return cutAtBoundary(singleLine(ids < 0 ? line : line.slice(0, ids)).trim(), MAX_DESCRIPTION)
}

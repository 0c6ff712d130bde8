import type { Credential } from './credentials/credential.js'
import { explainEntraError, type EntraErrorBody } from './entra-errors.js'
import { ActionError } from './errors.js'
import type { HttpResponse } from './http-transport.js'
import type { Io } from './io.js'
import { parseRetryAfter, TRANSIENT_STATUSES } from './retry.js'
import type { Settings } from './settings.js'

export interface Token {
  accessToken: string
  /** Seconds, as Entra ID returned it. */
  expiresIn: number
  /** When the request was sent plus expiresIn, as MSAL counts it. */
  expiresOn: Date
}

/**
 * One form POST to the token endpoint. A 200 gives the token, masked the moment it is parsed;
 * anything else becomes an ActionError marked transient or not.
 */
export async function requestToken(
  io: Pick<Io, 'http' | 'mask' | 'now' | 'uuid'>,
  settings: Pick<Settings, 'tokenUrl' | 'clientId' | 'tenantId' | 'cloud' | 'scope'>,
  credential: Credential,
  signal: AbortSignal
): Promise<Token> {
  const fields = await credential.authenticate({ tokenUrl: settings.tokenUrl, signal })
  const clientRequestId = io.uuid()
  const sentAt = io.now()
  const response = await io.http.request({
    method: 'POST',
    url: settings.tokenUrl,
    headers: {
      'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
      accept: 'application/json',
      // Lets a failure be found in the sign-in logs by an ID we chose and print.
      'client-request-id': clientRequestId,
      'return-client-request-id': 'true'
    },
    body: new URLSearchParams({
      client_id: settings.clientId,
      scope: settings.scope,
      grant_type: 'client_credentials',
      ...fields
    }).toString(),
    signal
  })
  const body = parseJson(response.body)

  if (response.status === 200) {
    const accessToken = body?.access_token
    if (typeof accessToken !== 'string' || !accessToken) {
      throw badResponse(
        response,
        body ? `JSON without an access_token (fields: ${Object.keys(body).join(', ') || 'none'})` : 'a body that is not JSON'
      )
    }
    io.mask(accessToken)
    const expiresIn = Number(body?.expires_in)
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) throw badResponse(response, 'no valid expires_in')
    return { accessToken, expiresIn, expiresOn: new Date(sentAt + expiresIn * 1000) }
  }

  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], io.now())
  if (body && typeof body.error === 'string') {
    throw explainEntraError(
      response.status,
      body as EntraErrorBody,
      { ...settings, clientRequestId },
      {
        retryAfterMs,
        notesOnRejection: credential.notesOnRejection
      }
    )
  }
  throw new ActionError('http-error', `The token endpoint answered HTTP ${response.status} with ${describeBody(response)}.`, {
    hint: response.status === 404 ? "Check 'authority-host' and 'tenant-id': the URL was not a token endpoint." : undefined,
    details: [`client-request-id: ${clientRequestId}`],
    transient: TRANSIENT_STATUSES.has(response.status),
    retryAfterMs
  })
}

/** Never assume a body is JSON: gateways answer HTML, and some proxies plain text. */
export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function describeBody(response: HttpResponse): string {
  const type = response.headers['content-type']
  return `${response.body.length} bytes of ${type ? String(type).split(';')[0] : 'no declared content type'}`
}

function badResponse(response: HttpResponse, what: string): ActionError {
  return new ActionError('bad-response', `The token endpoint answered HTTP ${response.status} with ${what} (${describeBody(response)}).`, {
    hint: "That is not an Entra ID token response: check 'authority-host', and any proxy between the runner and Entra ID."
  })
}

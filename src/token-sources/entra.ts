import type { Credential } from '../credentials/credential.js'
import { ActionError } from '../errors.js'
import { describeBody, parseJson, type HttpResponse } from '../http-transport.js'
import type { Io } from '../io.js'
import { proxyFor } from '../proxy.js'
import { isTransientStatus, parseRetryAfter } from '../retry.js'
import type { Settings } from '../settings.js'
import { readTokenResponse, type Token } from '../token-response.js'

/**
 * One form POST to the token endpoint. A 200 gives the token, checked and then masked the moment
 * it is parsed; anything else becomes an ActionError marked transient or not.
 */
export async function requestEntraToken(
  io: Pick<Io, 'http' | 'mask' | 'redact' | 'now' | 'uuid'>,
  settings: Pick<Settings, 'tokenUrl' | 'clientId' | 'tenantId' | 'cloud' | 'scope' | 'proxy'>,
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
    signal,
    proxy: proxyFor(settings.tokenUrl, settings.proxy)
  })
  const body = parseJson(response.body)

  if (response.status === 200) {
    const token = readTokenResponse(body, sentAt)
    if ('problem' in token) throw badResponse(response, token.problem)
    io.mask(token.accessToken)
    return token
  }

  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], io.now())
  // The explanation table is evaluated only when a request fails (credentials/index.ts says why).
  const { explainEntraError, readEntraError } = await import(/* webpackMode: "eager" */ '../entra-errors.js')
  const rejection = readEntraError(body, io.redact)
  const host = new URL(settings.tokenUrl).host
  if (rejection) {
    throw explainEntraError(
      response.status,
      rejection,
      { ...settings, clientRequestId, host },
      { retryAfterMs, notesOnRejection: credential.notesOnRejection }
    )
  }
  throw new ActionError('http-error', `The token endpoint at ${host} answered HTTP ${response.status} with ${describeBody(response)}.`, {
    hint: response.status === 404 ? "Check 'authority-host' and 'tenant-id': the URL was not a token endpoint." : undefined,
    details: [`client-request-id: ${clientRequestId}`],
    transient: isTransientStatus(response.status),
    retryAfterMs
  })
}

function badResponse(response: HttpResponse, what: string): ActionError {
  return new ActionError('bad-response', `The token endpoint answered HTTP ${response.status} with ${what} (${describeBody(response)}).`, {
    hint: "That is not an Entra ID token response: check 'authority-host', and any proxy between the runner and Entra ID."
  })
}

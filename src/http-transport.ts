import { HttpClient } from '@actions/http-client'
import { ActionError } from './errors.js'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  /** Aborting it tears the connection down, also while the body is being read. */
  signal: AbortSignal
}

export interface HttpResponse {
  status: number
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Http {
  request(request: HttpRequest): Promise<HttpResponse>
}

/**
 * HTTP through @actions/http-client, for its proxy support (https_proxy, no_proxy; loopback is
 * never proxied). It has no cancellation of its own, so the abort signal is handed to
 * node:https through a request handler: a hung attempt is really closed, not just abandoned.
 */
export function createHttp(userAgent: string): Http {
  return {
    async request({ method, url, headers, body, signal }) {
      signal.throwIfAborted()
      const client = new HttpClient(userAgent, [withSignal(signal)], {
        // Never follow a redirect with a secret in the body; never retry on our behalf.
        allowRedirects: false,
        allowRetries: false
      })
      try {
        const response = await abortable(client.request(method, url, body ?? null, headers), signal)
        const text = await abortable(response.readBody(), signal)
        return { status: response.message.statusCode ?? 0, headers: response.message.headers, body: text }
      } catch (error) {
        // The deadline and attempt signals abort with an ActionError that says which limit it was.
        if (signal.aborted && signal.reason instanceof ActionError) throw signal.reason
        throw networkError(error, url)
      } finally {
        client.dispose()
      }
    }
  }
}

function withSignal(signal: AbortSignal): RequestHandler {
  return {
    prepareRequest: options => Object.assign(options, { signal }),
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('not supported'))
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

// Failures of the connection itself, worth another try (reset, refused, DNS, a dropped proxy).
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN'
])

function networkError(error: unknown, url: string): ActionError {
  const code = (error as { code?: unknown })?.code
  const reason = error instanceof Error ? error.message : String(error)
  const transient = typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)
  const host = new URL(url).host
  return new ActionError(
    'network',
    `Could not reach ${host}: ${reason}${typeof code === 'string' && !reason.includes(code) ? ` (${code})` : ''}.`,
    {
      transient,
      hint: transient
        ? undefined
        : "The connection failed for a reason another try will not fix: for a TLS error, check 'authority-host' and any TLS-inspecting proxy (its CA goes in NODE_EXTRA_CA_CERTS).",
      cause: error
    }
  )
}

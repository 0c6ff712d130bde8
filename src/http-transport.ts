import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import { ActionError } from './errors.js'
import { cutAtBoundary, singleLine } from './inert-text.js'
import { basicCredential, type Proxy } from './proxy.js'

/** Entra ID's answers are a few KB; anything past this is not one, and is not read further. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  /** Aborting it ends the request at any stage: CONNECT, TLS, waiting, or reading the body. */
  signal: AbortSignal
  /** Tunnel through this proxy with CONNECT; absent: connect directly. */
  proxy?: Proxy
  /** Give up on connecting after this long (an endpoint that may not exist on this machine). */
  connectTimeoutMs?: number
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

/** How far a request got: says what a failure means ("no answer" only when nothing arrived). */
interface Progress {
  stage: 'connecting' | 'waiting' | 'reading'
  received: number
  /** Content-Length, when the server declared one. */
  expected?: number
}

/**
 * HTTP on node:http and node:https, one connection per request, no redirects, no retries of its
 * own. Every way a request can end settles it: an answer, an error, a connection that closes
 * early, the size bound or the abort signal; and every socket opened for it (the proxy tunnel
 * included) is destroyed when it settles, so nothing is left to keep the process alive.
 */
export function createHttp(userAgent: string, options: TransportOptions = {}): Http {
  return { request: request => send(request, userAgent, options) }
}

export interface TransportOptions {
  /**
   * NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment. Certificates are checked all the
   * same (rejectUnauthorized: true on every request), and a refused one names the variable.
   */
  tlsChecksDisabledByEnvironment?: boolean
}

/**
 * What every TLS connection checks, direct or in a tunnel: the chain (explicitly, so that
 * NODE_TLS_REJECT_UNAUTHORIZED=0 in the runner's environment cannot send a credential to any
 * server), and the certificate against the URL's own host, a name or an IP address, as
 * node:https does for a direct request. SNI carries a host name only, never an IP (RFC 6066 §3).
 */
function tlsOptions(url: URL): tls.ConnectionOptions {
  const host = unbracket(url.hostname)
  // '' rather than undefined: node:https would otherwise take the name from the Host header.
  return { host, servername: net.isIP(host) ? '' : host, rejectUnauthorized: true }
}

async function send(request: HttpRequest, userAgent: string, options: TransportOptions): Promise<HttpResponse> {
  request.signal.throwIfAborted()
  const url = new URL(request.url)
  const sockets = new Set<Socket>()
  const progress: Progress = { stage: 'connecting', received: 0 }
  let connectTimer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await new Promise<HttpResponse>((resolve, reject) => {
      onAbort = () => reject(abortError(request.signal.reason, progress, url))
      request.signal.addEventListener('abort', onAbort, { once: true })
      if (request.connectTimeoutMs !== undefined) {
        connectTimer = setTimeout(() => reject(connectTimeout(url, request.connectTimeoutMs!)), request.connectTimeoutMs)
      }
      const connected = () => {
        clearTimeout(connectTimer)
        progress.stage = 'waiting'
      }
      const track = (socket: Socket) => {
        sockets.add(socket)
        if (socket.connecting) socket.once('connect', connected)
        else connected()
      }
      const start = (tunnel?: Socket) => {
        const secure = url.protocol === 'https:'
        const client = secure ? https : http
        const outgoing = client.request(url, {
          method: request.method,
          headers: {
            'user-agent': userAgent,
            ...request.headers,
            // The URL's authority, as node:http writes it for a direct request. Without an agent
            // (in a tunnel) node:http would add the port of plain HTTP: `Host: name:80`.
            host: url.host,
            ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) })
          },
          ...(secure ? tlsOptions(url) : {}),
          // No agent with a tunnel: an agent would ignore createConnection and look the host up.
          ...(tunnel ? { agent: undefined, createConnection: () => tls.connect({ ...tlsOptions(url), socket: tunnel }) } : { agent: false })
        })
        let answer: IncomingMessage | undefined
        let interim: number | undefined
        outgoing.on('socket', track)
        outgoing.on('error', error => {
          // A complete answer followed by bytes after it (past `Connection: close`, RFC 9112 §9.6):
          // the answer stands, and the stray bytes go with the socket.
          if (answer?.complete) return
          reject(
            interim === undefined || answer
              ? networkError(error, progress, url, request.proxy, options)
              : onlyInterim(url, interim, 'closed the connection')
          )
        })
        // 1xx answers before the final one are allowed (RFC 9110 §15.2); a 101 is not, since no
        // request asks to switch protocols (§15.2.2), and nothing would follow it.
        outgoing.on('information', (info: { statusCode: number }) => (interim = info.statusCode))
        outgoing.on('upgrade', (response: IncomingMessage) => reject(onlyInterim(url, response.statusCode ?? 101, 'switched protocols')))
        outgoing.on('response', (response: IncomingMessage) => {
          answer = response
          readBody(response, progress, url).then(resolve, reject)
        })
        outgoing.on('close', () => {
          if (!answer) reject(new ActionError('network', `The connection to ${url.host} closed without an answer.`, { transient: true }))
        })
        outgoing.end(request.body)
      }
      // A request that cannot even be built (an option Node refuses) fails like any other error.
      const begin = (tunnel?: Socket) => {
        try {
          start(tunnel)
        } catch (error) {
          reject(networkError(error, progress, url, request.proxy, options))
        }
      }
      if (request.proxy && url.protocol === 'https:') {
        openTunnel(url, request.proxy, track).then(begin, reject)
      } else {
        begin()
      }
    })
  } finally {
    clearTimeout(connectTimer)
    if (onAbort) request.signal.removeEventListener('abort', onAbort)
    for (const socket of sockets) socket.destroy()
  }
}

/** The body, read into chunks and joined once; at most MAX_BODY_BYTES; only when it is complete. */
function readBody(response: IncomingMessage, progress: Progress, url: URL): Promise<HttpResponse> {
  progress.stage = 'reading'
  const declared = Number(response.headers['content-length'])
  if (Number.isInteger(declared) && declared >= 0) progress.expected = declared
  return new Promise((resolve, reject) => {
    if ((progress.expected ?? 0) > MAX_BODY_BYTES) return reject(tooLarge(url, response.statusCode))
    const chunks: Buffer[] = []
    response.on('data', (chunk: Buffer) => {
      progress.received += chunk.length
      if (progress.received > MAX_BODY_BYTES) {
        reject(tooLarge(url, response.statusCode))
        response.destroy()
        return
      }
      chunks.push(chunk)
    })
    const cutOff = (cause?: Error) => reject(truncated(progress, url, cause))
    response.on('end', () => {
      if (!response.complete) return cutOff()
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') })
    })
    response.on('aborted', () => cutOff())
    response.on('error', cutOff)
    response.on('close', () => {
      if (!response.complete) cutOff()
    })
  })
}

/** An HTTP CONNECT tunnel through the proxy to the target's host and port (RFC 9110 §9.3.6). */
function openTunnel(target: URL, proxy: Proxy, track: (socket: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const authority = `${target.hostname}:${target.port || 443}`
    const headers: Record<string, string> = { host: authority }
    const credential = basicCredential(proxy.url)
    if (credential) headers['proxy-authorization'] = `Basic ${credential}`
    const secure = proxy.url.protocol === 'https:'
    const client = secure ? https : http
    const connect = client.request({
      hostname: unbracket(proxy.url.hostname),
      port: proxy.url.port || (secure ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers,
      // An HTTPS proxy is checked as its own host, not as the Host header (the target) would have it.
      ...(secure ? tlsOptions(proxy.url) : {}),
      agent: false
    })
    const named = `The proxy ${proxy.address} (from ${proxy.variable})`
    connect.on('socket', track)
    connect.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const status = response.statusCode ?? 0
      if (status === 200 && head.length === 0) return resolve(socket)
      socket.destroy()
      // The server speaks only after the client's TLS hello, which is sent after the 200: bytes in
      // the same packet as the 200 cannot be from the server. curl hands them to TLS, which fails
      // on them at once; failing here at once says who sent them.
      if (status === 200) {
        return reject(
          new ActionError('bad-response', `${named} sent ${head.length} bytes after its 200 to CONNECT, before the server could speak.`, {
            hint: 'A tunnel carries only what the server sends: the proxy is not a plain CONNECT proxy. Ask its administrator, or list the host in no_proxy if the runner may reach it directly.'
          })
        )
      }
      // node:http ends CONNECT at any answer, 1xx included: nothing can follow an interim one here.
      if (status < 200) {
        return reject(
          new ActionError(
            'bad-response',
            `${named} answered CONNECT to ${authority} with only HTTP ${status}, an interim answer, not a tunnel.`,
            {
              hint: 'A CONNECT proxy answers 200 and then carries the connection (RFC 9110 §9.3.6): check that the variable names a proxy, not another server.'
            }
          )
        )
      }
      reject(
        new ActionError('network', `${named} refused to open a tunnel to ${authority}: HTTP ${status}.`, {
          transient: status >= 500,
          hint:
            status === 407
              ? `The proxy wants credentials: put them in ${proxy.variable} as http://user:password@host:port (percent-encoded).`
              : `Ask the proxy's administrator to allow HTTPS (CONNECT) to ${target.hostname}, or list it in no_proxy if the runner may reach it directly.`
        })
      )
    })
    connect.once('error', error =>
      reject(
        new ActionError('network', `Could not reach the proxy ${proxy.address} (from ${proxy.variable}): ${describe(error)}.`, {
          transient: isTransientCode(error),
          hint: `Check that the proxy is running and that ${proxy.variable} names it, or unset ${proxy.variable} if the runner may connect directly.`,
          cause: error
        })
      )
    )
    connect.end()
  })
}

/** What a body was, for a message: its size and declared type, never its content. */
export function describeBody(response: HttpResponse): string {
  const type = response.headers['content-type']
  // The server's header, bounded: Node accepts 16 KB of headers.
  return `${Buffer.byteLength(response.body)} bytes of ${type ? cutAtBoundary(String(type).split(';')[0], 100) : 'no declared content type'}`
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
// Node's names for a certificate that does not verify (OpenSSL's X509_V_ERR_* without the prefix, and the name check).
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID'
])
// Failures that mean the host could not be found or reached at all, as opposed to a bad answer.
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT'])

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' ? code : undefined
}

function isTransientCode(error: unknown): boolean {
  return TRANSIENT_NETWORK_CODES.has(errorCode(error) ?? '')
}

function describe(error: unknown): string {
  // Bounded: a TLS error lists the server certificate's names, as many as it has.
  const reason = cutAtBoundary(singleLine(error instanceof Error ? error.message : String(error)), 500)
  const code = errorCode(error)
  return code && !reason.includes(code) ? `${reason} (${code})` : reason
}

function networkError(error: unknown, progress: Progress, url: URL, proxy: Proxy | undefined, options: TransportOptions): ActionError {
  // A parse error or reset after the answer started: the body was cut off or malformed.
  if (progress.stage === 'reading') return truncated(progress, url, error)
  const code = errorCode(error)
  // llhttp's errors (HPE_...): something answered, but not in HTTP.
  if (code?.startsWith('HPE_')) {
    return new ActionError('bad-response', `The answer from ${url.host} is not valid HTTP: ${describe(error)}.`, {
      hint: 'Something other than a web server answered there: check the URL, and any proxy between the runner and it.',
      cause: error
    })
  }
  if (options.tlsChecksDisabledByEnvironment && CERTIFICATE_CODES.has(code ?? '')) {
    return new ActionError('network', `The certificate of ${url.host} was refused: ${describe(error)}.`, {
      hint:
        'NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment, and the action ignores it: a credential is only ever sent to a server whose certificate is valid. ' +
        'Unset that variable and put the CA of the server (or of a TLS-inspecting proxy) in NODE_EXTRA_CA_CERTS.',
      cause: error
    })
  }
  const transient = isTransientCode(error)
  const unreachable = UNREACHABLE_CODES.has(code ?? '')
  return new ActionError('network', `Could not reach ${url.host}: ${describe(error)}.`, {
    transient,
    unreachable,
    hint: unreachable
      ? proxy
        ? undefined
        : `On a self-hosted runner, check that it can resolve and reach ${url.hostname}: DNS, firewall rules, and https_proxy/no_proxy if the network requires a proxy.`
      : transient
        ? undefined
        : "The connection failed for a reason another try will not fix: for a TLS error, check 'authority-host' and any TLS-inspecting proxy (its CA goes in NODE_EXTRA_CA_CERTS).",
    cause: error
  })
}

function truncated(progress: Progress, url: URL, cause?: unknown): ActionError {
  const bytes =
    progress.expected === undefined
      ? `${progress.received} bytes of a body without a declared length`
      : `${progress.received} of ${progress.expected} bytes`
  const why = cause ? ` (${describe(cause)})` : ''
  return new ActionError('network', `The connection to ${url.host} closed after ${bytes}${why}.`, {
    transient: true,
    cause
  })
}

function tooLarge(url: URL, status: number | undefined): ActionError {
  return new ActionError('bad-response', `The response from ${url.host} (HTTP ${status}) was larger than 1 MiB.`, {
    hint: 'That is not an Entra ID answer: check the URL, and any proxy or gateway between the runner and Entra ID.'
  })
}

function connectTimeout(url: URL, ms: number): ActionError {
  return new ActionError('network', `Could not connect to ${url.host} within ${ms / 1000} s.`, { unreachable: true, transient: false })
}

/** An abort says which limit ran out; while a body was arriving, "no answer" would be wrong. */
function abortError(reason: unknown, progress: Progress, url: URL): unknown {
  if (!(reason instanceof ActionError) || !reason.transient || progress.stage !== 'reading') return reason
  return new ActionError(
    'timeout',
    `The answer from ${url.host} started but did not finish in time (${progress.received}${progress.expected === undefined ? '' : ` of ${progress.expected}`} bytes received).`,
    { transient: true }
  )
}

function unbracket(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1')
}

/** An answer that was only interim (1xx), which never carries a token: refused at once, not waited on. */
function onlyInterim(url: URL, status: number, then: string): ActionError {
  return new ActionError('bad-response', `${url.host} answered only HTTP ${status}, an interim answer, and ${then}.`, {
    hint: 'That is not an Entra ID answer: check the URL, and any proxy or gateway between the runner and it.'
  })
}

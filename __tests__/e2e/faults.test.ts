import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { annotations, DEMO, leaks, PROXIED_HOST, startE2e, type RunResult } from '../helpers/e2e.js'
import { fakeJwt } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'

// The reliability suite: what the worst server can send (transient errors, bodies cut off or
// endless, stalls, Retry-After values outside the RFC, odd or hostile JSON), each against the local
// endpoint directly and through a CONNECT proxy, checked for exit code, one error line, outputs,
// time bound, number of requests, and a scan of all that was printed (debug on) for every secret.
let e2e: Awaited<ReturnType<typeof startE2e>>
let proxy: Awaited<ReturnType<typeof startConnectProxy>>
beforeAll(async () => {
  e2e = await startE2e()
  proxy = await startConnectProxy(e2e.simulator.port)
})
afterAll(async () => {
  await proxy.close()
  await e2e.stop()
})
beforeEach(() => e2e.simulator.reset())

const html = (status: number) => ({ status, body: '<html><body><h1>Bad gateway</h1></body></html>', contentType: 'text/html' })
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, body: JSON.stringify(body), headers })

type Respond = (req: IncomingMessage, res: ServerResponse, body: string) => void
const respond = (fn: Respond) => ({ respond: fn })
/** Writes, then closes the connection once the bytes are out. */
const writeThenClose = (res: ServerResponse, text: string) => res.write(text, () => res.socket?.destroy())
const OK_BODY = JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: fakeJwt({ tid: DEMO.tenantId }) })

const cutByLength = respond((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
  writeThenClose(res, OK_BODY.slice(0, 40))
})
const cutChunked = respond((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  writeThenClose(res, OK_BODY.slice(0, 40))
})
const badChunkSize = respond(req => {
  req.socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nZZZ\r\n{"a":1}\r\n0\r\n\r\n')
})
/** 64 MB of JSON-looking text, streamed as long as the client reads. */
const endless = (declareLength: boolean) =>
  respond((_req, res) => {
    const size = 64 * 1024 * 1024
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(size) } : {}) })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      while (sent < size && !res.destroyed) {
        sent += chunk.length
        if (!res.write(chunk)) return res.once('drain', pump)
      }
      res.end()
    }
    pump()
  })
const stallMidBody = respond((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
  res.write(OK_BODY.slice(0, 40))
})

interface Scenario {
  name: string
  faults: object[]
  inputs?: Record<string, string>
  code: 0 | 1
  requests: number
  /** Upper bound on the whole run. */
  maxMs: number
  error?: RegExp
  check?: (result: RunResult) => void
}

const gaps = () => e2e.simulator.requests.slice(1).map((r, i) => r.at - e2e.simulator.requests[i].at)

const scenarios: Scenario[] = [
  { name: '503 twice, then success', faults: [html(503), html(503)], code: 0, requests: 3, maxMs: 6000 },
  {
    name: '429 with Retry-After: 2, then success',
    faults: [json(429, entraError(50196, 'temporarily_unavailable', 'Too many requests.'), { 'retry-after': '2' })],
    code: 0,
    requests: 2,
    maxMs: 5000,
    check: () => {
      const [first, second] = e2e.simulator.requests
      expect(second.at - first.at).toBeGreaterThanOrEqual(2000)
    }
  },
  { name: 'a reset connection, then success', faults: [{ reset: true }], code: 0, requests: 2, maxMs: 4000 },
  { name: '502 with an HTML body, then success', faults: [html(502)], code: 0, requests: 2, maxMs: 4000 },
  {
    name: '500 forever',
    faults: [html(500), html(500), html(500)],
    inputs: { 'max-attempts': '3' },
    code: 1,
    requests: 3,
    maxMs: 6000,
    error: /^Gave up after 3 attempts\. The last one: The token endpoint at [^ ]+ answered HTTP 500 with 46 bytes of text\/html\./
  },
  {
    name: 'a server that accepts and never answers',
    faults: [{ hang: true }, { hang: true }],
    inputs: { 'timeout-seconds': '2' },
    code: 1,
    requests: 1,
    maxMs: 4000,
    error: /^Timed out: no token within 2 s\./
  },
  {
    name: '200 with HTML',
    faults: [{ status: 200, body: '<html>Sign in to the Wi-Fi</html>', contentType: 'text/html' }],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /^The token endpoint answered HTTP 200 with a body that is not JSON \(33 bytes of text\/html\)\./
  },
  {
    name: '200 without access_token',
    faults: [json(200, { token_type: 'Bearer', expires_in: 3599 })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /HTTP 200 with JSON without an access_token/
  },
  {
    name: '401 invalid_client',
    faults: [json(401, entraError(7000215, 'invalid_client', 'Invalid client secret provided.'))],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /AADSTS7000215, HTTP 401\): The client secret is wrong/
  },
  { name: 'a body cut short of its Content-Length, then success', faults: [cutByLength], code: 0, requests: 2, maxMs: 4000 },
  { name: 'a chunked body without its last chunk, then success', faults: [cutChunked], code: 0, requests: 2, maxMs: 4000 },
  { name: 'an invalid chunk size, then success', faults: [badChunkSize], code: 0, requests: 2, maxMs: 4000 },
  {
    name: 'bodies cut short on every attempt',
    faults: [cutByLength, cutByLength],
    inputs: { 'max-attempts': '2' },
    code: 1,
    requests: 2,
    maxMs: 4000,
    error: /^Gave up after 2 attempts\. The last one: The connection to [^ ]+ closed after 40 of 1000 bytes\./
  },
  {
    name: 'a 64 MB body without a declared length',
    faults: [endless(false)],
    code: 1,
    requests: 1,
    maxMs: 3000,
    error: /^The response from [^ ]+ \(HTTP 200\) was larger than 1 MiB\./
  },
  {
    name: 'a 64 MB body with its Content-Length',
    faults: [endless(true)],
    code: 1,
    requests: 1,
    maxMs: 3000,
    error: /^The response from [^ ]+ \(HTTP 200\) was larger than 1 MiB\./
  },
  {
    name: 'a body that stalls half-way, until the deadline',
    faults: [stallMidBody],
    inputs: { 'timeout-seconds': '2' },
    code: 1,
    requests: 1,
    maxMs: 3000,
    error: /^Timed out: no token within 2 s\./
  },
  {
    name: 'an error text of 900 KB of white space (no backtracking on server text)',
    faults: [json(400, { error: 'invalid_request', error_description: `${' '.repeat(900_000)}x` })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /refused the token request \(invalid_request, HTTP 400\)/
  },
  {
    name: 'JSON field names written to fake log lines',
    faults: [json(200, { '\nWarning: rotate your secret at https://evil.example': 1, '\n::error::x': 2 })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /HTTP 200 with JSON without an access_token \(fields: +Warning: rotate your secret at https:\/\/evil\.example, +::error::x\)/
  },
  {
    name: 'an answer that is not HTTP at all',
    faults: [respond(req => req.socket.end('SSH-2.0-OpenSSH_9.6\r\n'))],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /^The answer from [^ ]+ is not valid HTTP: /
  },
  {
    // RFC 9112 §9.6: nothing follows an answer with `Connection: close`; a sloppy gateway adds a last chunk anyway.
    name: 'a complete answer with stray bytes after it, on a Connection: close socket',
    faults: [
      respond(req =>
        req.socket.end(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(OK_BODY)}\r\nconnection: close\r\n\r\n${OK_BODY}0\r\n\r\n`
        )
      )
    ],
    code: 0,
    requests: 1,
    maxMs: 2000
  },
  {
    name: 'a 101 Switching Protocols that nobody asked for',
    faults: [respond(req => req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'))],
    code: 1,
    requests: 1,
    maxMs: 3000,
    error: /answered only HTTP 101, an interim answer, and switched protocols\./
  },
  {
    name: 'HTTP 503 temporarily_unavailable without an AADSTS code, then success',
    faults: [json(503, { error: 'temporarily_unavailable', error_description: 'Try again later.' })],
    code: 0,
    requests: 2,
    maxMs: 4000
  },
  {
    name: 'HTTP 500 server_error, then success',
    faults: [json(500, { error: 'server_error', error_description: 'Internal error.' })],
    code: 0,
    requests: 2,
    maxMs: 4000
  },
  {
    name: 'HTTP 429 with Retry-After: 2 and an OAuth error without a known code, then success',
    faults: [json(429, { error: 'invalid_request', error_description: 'Slow down.' }, { 'retry-after': '2' })],
    code: 0,
    requests: 2,
    maxMs: 5000,
    check: () => expect(gaps()[0]).toBeGreaterThanOrEqual(2000)
  },
  {
    name: 'Retry-After: 0 on every answer: back-off still applies',
    faults: Array.from({ length: 3 }, () => json(503, entraError(90033, 'temporarily_unavailable', 'Busy.'), { 'retry-after': '0' })),
    inputs: { 'max-attempts': '3' },
    code: 1,
    requests: 3,
    maxMs: 6000,
    error: /^Gave up after 3 attempts\. The last one: Entra ID refused the token request \(AADSTS90033, HTTP 503\)/,
    // Back-off is 1 s then 2 s, each scaled by a factor in [0.5, 1).
    check: () => expect(gaps().every((gap, i) => gap >= 500 * 2 ** i)).toBe(true)
  },
  ...['-5', '2.5', 'Thu, 01 Jan 1970 00:00:00 GMT', 'soon'].map((value): Scenario => ({
    name: `Retry-After: ${value} is read as no Retry-After, then success`,
    faults: [json(503, entraError(90033, 'temporarily_unavailable', 'Busy.'), { 'retry-after': value })],
    code: 0,
    requests: 2,
    maxMs: 4000,
    check: () => expect(gaps()[0]).toBeGreaterThanOrEqual(500)
  })),
  {
    name: 'an error body whose fields have unexpected types',
    faults: [
      json(401, { error: 'invalid_client', error_description: { text: 'x' }, error_codes: 'AADSTS7000215', trace_id: 7, timestamp: [] })
    ],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /^The token endpoint at [^ ]+ refused the token request \(invalid_client, HTTP 401\): invalid_client/
  },
  {
    name: 'an access_token carrying a header injection',
    faults: [json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ0.eyJ1.sig\r\nHost: evil.example' })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /HTTP 200 with an access_token with characters a bearer token cannot have/,
    check: result => expect(result.stdout).not.toContain('evil.example')
  },
  ...[1e20, true, [5], '0x10'].map((value): Scenario => ({
    name: `expires_in ${JSON.stringify(value)}`,
    faults: [json(200, { token_type: 'Bearer', expires_in: value, access_token: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl' })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /HTTP 200 with no valid expires_in/
  })),
  {
    name: 'token_type pop',
    faults: [json(200, { token_type: 'pop', expires_in: 3599, access_token: 'eyJ0eXAi.eyJzdWIi.c2lnbmF0dXJl' })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /a token_type that is not Bearer \(pop\)/
  },
  {
    name: 'an endpoint that echoes the request (form-encoded secret included) in its error',
    faults: [
      respond((_req, res, body) => {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'invalid_request', error_description: `Bad request: ${body}` }))
      })
    ],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /refused the token request \(invalid_request, HTTP 400\): Bad request: client_id=/
  }
]

describe.each([
  ['directly', () => ({ host: e2e.simulator.url, env: {} })],
  ['through a CONNECT proxy', () => ({ host: `https://${PROXIED_HOST}:${e2e.simulator.port}`, env: { https_proxy: proxy.url } })]
])('%s', (_, route) => {
  it.each(scenarios.map(s => [s.name, s] as const))('%s', async (_name, scenario) => {
    const { host, env } = route()
    e2e.simulator.inject('token', ...scenario.faults)
    const result = await e2e.run({ 'authority-host': host, ...scenario.inputs }, { RUNNER_DEBUG: '1', ...env })
    expect(result.code).toBe(scenario.code)
    expect(e2e.simulator.requests).toHaveLength(scenario.requests)
    expect(result.ms).toBeLessThan(scenario.maxMs)
    if (scenario.code === 0) {
      expect(result.outputs.token.split('.')).toHaveLength(3)
      expect(Number(result.outputs['expires-in'])).toBeGreaterThan(0)
    } else {
      expect(result.outputs).toEqual({})
      expect(annotations(result)).toHaveLength(1)
      expect(annotations(result)[0]).toMatch(scenario.error!)
    }
    scenario.check?.(result)
    expect(result.stderr).toBe('')
    expect(result.stdout).not.toMatch(/\n\s+at |Unexpected error/)
    expect(leaks(result, { secret: DEMO.clientSecret, token: result.outputs.token })).toEqual([])
  })

  it('a burst of 16 runs while the endpoint throttles the first 8 requests: all succeed', async () => {
    const { host, env } = route()
    e2e.simulator.inject(
      'token',
      ...Array.from({ length: 8 }, () => json(429, entraError(50196, 'temporarily_unavailable', 'Throttled.'), { 'retry-after': '1' }))
    )
    const results = await Promise.all(Array.from({ length: 16 }, () => e2e.run({ 'authority-host': host }, { RUNNER_DEBUG: '1', ...env })))
    expect(results.map(r => r.code)).toEqual(Array(16).fill(0))
    expect(e2e.simulator.requests).toHaveLength(24)
    for (const result of results) expect(leaks(result, { secret: DEMO.clientSecret, token: result.outputs.token })).toEqual([])
  })
})

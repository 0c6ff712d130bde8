import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { IncomingMessage, ServerResponse } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { annotations, commands, DEMO, leaks, masks, PROXIED_HOST, startE2e, type RunResult } from '../helpers/e2e.js'
import { fakeJwt } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'

// What the worst server, proxy or token can send, run as the runner runs the action (debug on):
// bodies cut off or endless, proxies that never answer, odd JSON, Retry-After values outside the
// RFC, and token claims written to inject workflow commands. Every run must end within
// timeout-seconds plus one second, print one error line (or succeed), and leak nothing.
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

type Respond = (req: IncomingMessage, res: ServerResponse, body: string) => void
const respond = (fn: Respond) => ({ respond: fn })
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, body: JSON.stringify(body), headers })
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
  maxMs: number
  error?: RegExp
  check?: (result: RunResult) => void
}

const gaps = () => e2e.simulator.requests.slice(1).map((r, i) => r.at - e2e.simulator.requests[i].at)

const scenarios: Scenario[] = [
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
    faults: [json(200, { token_type: 'Bearer', expires_in: value, access_token: 'eyJ0.eyJ1.c2ln' })],
    code: 1,
    requests: 1,
    maxMs: 2000,
    error: /HTTP 200 with no valid expires_in/
  })),
  {
    name: 'token_type pop',
    faults: [json(200, { token_type: 'pop', expires_in: 3599, access_token: 'eyJ0.eyJ1.c2ln' })],
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
})

describe('proxies that misbehave', () => {
  /** A TCP server that accepts and then does what `onConnection` says (nothing, by default). */
  async function rawProxy(onConnection: (socket: net.Socket) => void = () => {}) {
    const sockets = new Set<net.Socket>()
    const server = net.createServer(socket => {
      sockets.add(socket)
      socket.on('error', () => {})
      onConnection(socket)
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      connections: () => sockets.size,
      close: async () => {
        for (const s of sockets) s.destroy()
        await new Promise(resolve => server.close(resolve))
      }
    }
  }
  const host = () => `https://${PROXIED_HOST}:${e2e.simulator.port}`

  it.each([
    ['accepts the connection and never answers CONNECT', () => {}],
    [
      'answers CONNECT and then stalls',
      (socket: net.Socket) => socket.once('data', () => socket.write('HTTP/1.1 200 Connection Established\r\n\r\n'))
    ]
  ])('a proxy that %s: the process exits at the deadline with one error', async (_, behaviour) => {
    const silent = await rawProxy(behaviour)
    try {
      const result = await e2e.run({ 'authority-host': host(), 'timeout-seconds': '2' }, { https_proxy: silent.url, RUNNER_DEBUG: '1' })
      // runAction resolves when the process has exited and its output closed, not when the error was printed.
      expect(result.code).toBe(1)
      expect(result.ms).toBeLessThan(3000)
      expect(annotations(result)).toEqual([expect.stringMatching(/^Timed out: no token within 2 s\./)])
      expect(silent.connections()).toBe(1)
      expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
    } finally {
      await silent.close()
    }
  })

  it('a proxy that refuses connections is named, with the variable it came from', async () => {
    const closed = await rawProxy()
    await closed.close()
    const result = await e2e.run({ 'authority-host': host(), 'max-attempts': '2' }, { HTTPS_PROXY: closed.url })
    expect(result.code).toBe(1)
    expect(annotations(result)[0]).toMatch(
      new RegExp(
        `^Gave up after 2 attempts\\. The last one: Could not reach the proxy 127\\.0\\.0\\.1:${closed.port} \\(from HTTPS_PROXY\\): .*ECONNREFUSED`
      )
    )
    expect(annotations(result)[0]).toMatch(/Check that the proxy is running and that HTTPS_PROXY names it/)
  })

  it('a proxy that wants credentials says so', async () => {
    const strict = await rawProxy(socket => socket.once('data', () => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n')))
    try {
      const result = await e2e.run({ 'authority-host': host() }, { https_proxy: strict.url })
      expect(result.code).toBe(1)
      expect(annotations(result)[0]).toMatch(/refused to open a tunnel to login\.entra\.test:\d+: HTTP 407\. The proxy wants credentials/)
      expect(e2e.simulator.requests).toHaveLength(0)
    } finally {
      await strict.close()
    }
  })
})

describe('token claims written to inject workflow commands', () => {
  const INJECTED = {
    displayName: 'Release bot\n::set-output name=token::stolen\r::warning::fake warning ##[add-mask]e\u2028::stop-commands::x',
    roles: ['User.Read.All', 'Evil\n::set-output name=roles::x', '##[add-mask]a', 'Group.Read.All'],
    tid: 'contoso\n::add-mask::o'
  }
  let hostile: Awaited<ReturnType<typeof startE2e>>
  beforeAll(async () => {
    hostile = await startE2e({
      apps: [
        { clientId: DEMO.clientId, displayName: INJECTED.displayName, secrets: [{ value: DEMO.clientSecret }], roles: INJECTED.roles }
      ],
      tokenClaims: { tid: INJECTED.tid }
    })
  })
  afterAll(() => hostile.stop())

  it.each([
    ['with GITHUB_OUTPUT', true],
    ['on a runner without GITHUB_OUTPUT (outputs as ::set-output)', false]
  ])('%s: the runner sees no command but ours, and the outputs carry only what they promise', async (_, outputFile) => {
    const result = await hostile.run({ 'job-summary': 'true' }, { RUNNER_DEBUG: '1' }, { outputFile })
    expect(result.code).toBe(0)
    const seen = commands(result)
    expect(seen.filter(c => c.legacy)).toEqual([])
    expect(new Set(seen.map(c => c.name))).toEqual(new Set(['add-mask', 'debug', ...(outputFile ? [] : ['set-output'])]))
    const token = outputFile ? result.outputs.token : seen.find(c => c.name === 'set-output' && c.data)!.data
    expect(masks(result)).toEqual([DEMO.clientSecret, DEMO.clientSecret.replace('~', '%7E'), token])
    const outputs = outputFile
      ? result.outputs
      : Object.fromEntries(
          result.stdout
            .split('\n')
            .map(l => /^::set-output name=([a-z-]+)::(.*)$/.exec(l))
            .filter(m => m !== null)
            .map(m => [m[1], m[2]])
        )
    expect(outputs).toMatchObject({ token, 'tenant-id': '', roles: 'User.Read.All,Group.Read.All' })
    // The one info line is one line, and the app's name is still recognisable in it.
    const info = result.stdout.split('\n').filter(l => l.startsWith('Got a token'))
    expect(info).toHaveLength(1)
    expect(info[0]).toContain('Release bot')
    // No markdown block opened from a cell.
    expect(result.summary.split('\n').filter(l => l.startsWith('| App |'))).toHaveLength(1)
    expect(result.summary).not.toMatch(/\n::/)
    expect(leaks(result, { secret: DEMO.clientSecret, token })).toEqual([])
  })
})

describe('a runner that lacks what an action expects', () => {
  it('without GITHUB_STEP_SUMMARY: a warning, the outputs, and success', async () => {
    const result = await e2e.run({ 'job-summary': 'true' }, {}, { stepSummary: false })
    expect(result.code).toBe(0)
    expect(annotations(result, 'warning')).toEqual([expect.stringMatching(/GITHUB_STEP_SUMMARY is not set.*outputs are written/)])
    expect(result.outputs.token.split('.')).toHaveLength(3)
  })

  it('with GITHUB_OUTPUT naming a missing file: one error naming GITHUB_OUTPUT, and the token nowhere', async () => {
    const result = await e2e.run({}, { GITHUB_OUTPUT: join(tmpdir(), 'graph-token-action-no-such-dir', 'output') })
    expect(result.code).toBe(1)
    expect(annotations(result)).toEqual([
      expect.stringMatching(/^Cannot write the 'token' output: GITHUB_OUTPUT names a file that does not exist\./)
    ])
    expect(result.stdout).not.toMatch(/set-output/)
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { annotations, DEMO, leaks, PROXIED_HOST, startE2e, type RunResult } from '../helpers/e2e.js'
import { entraError } from '../fixtures/entra-errors.js'

// The reliability suite: each fault against the local endpoint, directly and through a CONNECT
// proxy, checked for exit code, outputs, time bound, number of requests, and a scan of all that
// was printed (debug on) for every secret involved.
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
      expect(annotations(result)[0]).toMatch(scenario.error!)
    }
    scenario.check?.(result)
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
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

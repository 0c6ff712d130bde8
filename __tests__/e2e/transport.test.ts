import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startConnectProxy } from '../helpers/connect-proxy.js'
import { annotations, DEMO, leaks, masks, PROXIED_HOST, startE2e, type RunResult } from '../helpers/e2e.js'

// The transport as a runner's environment can bend it: NODE_DEBUG printing what Node sends, and
// NODE_TLS_REJECT_UNAUTHORIZED=0 switching certificate checks off for every other Node program.
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
beforeEach(() => {
  e2e.simulator.reset()
  proxy.requests.length = 0
})

/** The log as the runner shows it: stderr too has the registered masks applied (SecretMasker masks every line). */
const shownByRunner = (result: RunResult) => ({ ...result, stdout: `${result.stdout}\n${result.stderr}`, stderr: '' })

describe('NODE_DEBUG=http,net,tls with a proxy that takes credentials', () => {
  const TOKEN = 'ghp_proxyToken7Hq2vXk9Lm3Np8Rt'
  it.each([
    ['a user and password', `http://builder:${encodeURIComponent('pr0xy~Pass/word')}@`, 'builder:pr0xy~Pass/word', 'pr0xy~Pass/word'],
    ['a token as the user name, the whole credential', `http://${TOKEN}@`, `${TOKEN}:`, TOKEN]
  ])('%s: the Proxy-Authorization that Node prints is masked', async (_, prefix, credentials, secret) => {
    const basic = Buffer.from(credentials).toString('base64')
    const result = await e2e.run(
      { 'authority-host': `https://${PROXIED_HOST}:${e2e.simulator.port}` },
      { https_proxy: `${prefix}${proxy.url.slice('http://'.length)}`, NODE_DEBUG: 'http,net,tls' }
    )
    expect(result.code).toBe(0)
    expect(proxy.requests.map(r => r.authorization)).toEqual([`Basic ${basic}`])
    // Node did print it, so the mask is what hides it.
    expect(result.stderr).toContain(basic)
    expect(masks(result)).toEqual(expect.arrayContaining([basic, secret]))
    expect(leaks(shownByRunner(result), { secret: DEMO.clientSecret, credential: basic, proxySecret: secret })).toEqual([])
  })
})

describe('NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', () => {
  it('does not send the client secret to a server whose certificate is not trusted, and says which variable to unset', async () => {
    // The simulator's CA is not given to the action (no NODE_EXTRA_CA_CERTS): its certificate is untrusted.
    const result = await e2e.run({ 'max-attempts': '1' }, { NODE_EXTRA_CA_CERTS: '', NODE_TLS_REJECT_UNAUTHORIZED: '0' })
    expect(result.code).toBe(1)
    expect(e2e.simulator.requests).toHaveLength(0)
    const [error, ...rest] = annotations(result)
    expect(rest).toEqual([])
    expect(error).toMatch(/The certificate of 127\.0\.0\.1:\d+ was refused: /)
    expect(error).toMatch(/NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment, and the action ignores it/)
    expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
  })
})

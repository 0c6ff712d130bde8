import { describe, expect, it } from '@jest/globals'
import { noProxyMatches, parseProxySettings, proxyFor, proxySecrets } from '../../src/proxy.js'
import { readInputs } from '../../src/inputs.js'
import { fakeIo, SECRET } from '../helpers/fake-io.js'

const settings = (env: Record<string, string>) => parseProxySettings(env)

describe('proxyFor', () => {
  const behind = settings({ https_proxy: 'http://proxy.corp:3128', no_proxy: 'internal.corp,.example.net,login.example.org:8443' })

  it('tunnels HTTPS to the login host through https_proxy', () => {
    expect(proxyFor('https://login.microsoftonline.com/t/oauth2/v2.0/token', behind)).toMatchObject({ address: 'proxy.corp:3128' })
  })

  it.each([
    ['loopback', 'https://127.0.0.1:8443/x'],
    ['localhost', 'https://localhost/x'],
    ['IPv6 loopback', 'https://[::1]:8443/x'],
    ['plain HTTP (a managed identity endpoint)', 'http://169.254.169.254/metadata/identity/oauth2/token'],
    ['a no_proxy host', 'https://internal.corp/x'],
    ['a subdomain of a no_proxy host', 'https://a.internal.corp/x'],
    ['a no_proxy suffix', 'https://login.example.net/x']
  ])('connects directly to %s', (_, url) => {
    expect(proxyFor(url, behind)).toBeUndefined()
  })

  it('tunnels a host name that merely starts with 127.', () => {
    expect(proxyFor('https://127.attacker.example/x', behind)).toBeDefined()
  })

  it('does not match a mere suffix of a name, nor an entry with a port (curl reads it as no host)', () => {
    expect(proxyFor('https://notinternal.corp/x', behind)).toBeDefined()
    expect(proxyFor('https://login.example.org:8443/x', behind)).toBeDefined()
  })

  it('bypasses everything for no_proxy=*', () => {
    expect(proxyFor('https://login.microsoftonline.com/x', settings({ HTTPS_PROXY: 'proxy:1', NO_PROXY: '*' }))).toBeUndefined()
  })

  it('prefers https_proxy over HTTPS_PROXY and says which it used', () => {
    expect(settings({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' }).https).toMatchObject({
      variable: 'https_proxy',
      address: 'a:1'
    })
  })
})

// curl's rules (CURLOPT_NOPROXY, lib/noproxy.c); __tests__/http/tunnel-differential.test.ts checks
// the same table against the curl on the machine.
describe('noProxyMatches', () => {
  const entries = (value: string) => parseProxySettings({ https_proxy: 'http://proxy:3128', no_proxy: value }).noProxy
  it.each([
    // IPv4: an address or a range, compared as numbers, never as a suffix of the text.
    ['192.0.2.10', '192.0.2.10', true],
    ['192.0.2.10', '2.10', false],
    ['192.0.2.10', '.2.10', false],
    ['192.0.2.10', '192.0.2.0/24', true],
    ['192.0.2.10', '192.0.3.0/24', false],
    ['192.0.2.10', '10.0.0.0/8', false],
    ['10.20.30.40', '10.0.0.0/8', true],
    ['192.0.2.10', '192.0.2.10:443', false],
    ['192.0.2.10', '192.0.2.0/33', false],
    // IPv6: the same, in any spelling of the address, written without brackets as in curl.
    ['[2001:db8::10]', '2001:db8::10', true],
    ['[2001:db8::10]', '[2001:db8::10]', false],
    ['[2001:db8::10]', '2001:0db8:0:0::10', true],
    ['[2001:db8::10]', '2001:db8::/32', true],
    ['[2001:db8::10]', '2001:db9::/32', false],
    ['[2001:db8::10]', '::10', false],
    ['[2001:db8::10]', '192.0.2.0/24', false],
    // Names: the name or a parent domain, at a dot; a leading or trailing dot changes nothing.
    ['login.example.com', 'example.com', true],
    ['login.example.com', '.example.com', true],
    ['login.example.com', 'example.com.', true],
    ['login.example.com', 'LOGIN.Example.COM', true],
    ['login.example.com.', 'example.com', true],
    ['notexample.com', 'example.com', false],
    ['login.example.com', 'ample.com', false],
    ['login.example.com', 'login.example.com:443', false],
    ['login.example.com', '*', true],
    ['192.0.2.10', '*', true],
    ['login.example.com', 'example.org,*', false],
    ['login.example.com', 'example.org, example.com', true],
    ['login.example.com', 'example.org example.com', true]
  ])('%s with no_proxy=%s: %s', (host, value, expected) => {
    expect(noProxyMatches(new URL(`https://${host}/`).hostname, entries(value))).toBe(expected)
  })
})

describe('proxySecrets', () => {
  const basic = (text: string) => Buffer.from(text).toString('base64')
  it.each([
    ['a user and a percent-encoded password', 'http://builder:p%40ss~word@proxy:3128', [basic('builder:p@ss~word'), 'p@ss~word']],
    [
      'a token as the user name, without a scheme',
      'ghp_proxyToken7Hq2vXk9@proxy:3128',
      [basic('ghp_proxyToken7Hq2vXk9:'), 'ghp_proxyToken7Hq2vXk9']
    ],
    // Masking `ops` would blank that word all over the log; the credential Node prints is its base64.
    ['a short user name alone', 'http://ops@proxy:3128', [basic('ops:')]],
    ['no credentials', 'http://proxy:3128', []],
    ['bad percent-encoding (refused by the settings)', 'http://user:%E0%A4%A@proxy:3128', []],
    ['no variable', undefined, []]
  ])('%s', (_, value, expected) => {
    expect(proxySecrets(value)).toEqual(expected)
  })
})

describe("the proxy's credential in the log", () => {
  const masked = (proxy: string) => {
    const io = fakeIo({ 'client-secret': SECRET }, { env: { https_proxy: proxy } })
    readInputs(io)
    return io.masks
  }

  it('masks the password and the Basic credential Node prints with NODE_DEBUG', () => {
    expect(masked('http://builder:s3cret-Proxy-pass@proxy.corp:3128')).toEqual(
      expect.arrayContaining(['s3cret-Proxy-pass', Buffer.from('builder:s3cret-Proxy-pass').toString('base64')])
    )
  })

  it('does not mask a password so short that it would blank ordinary text, but masks its Basic credential', () => {
    const masks = masked('http://u:aaaa@proxy.corp:3128')
    expect(masks).not.toContain('aaaa')
    expect(masks).toContain(Buffer.from('u:aaaa').toString('base64'))
  })
})

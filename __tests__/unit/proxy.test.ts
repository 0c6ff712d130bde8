import { describe, expect, it } from '@jest/globals'
import { parseProxySettings, proxyFor } from '../../src/proxy.js'

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
    ['a no_proxy suffix', 'https://login.example.net/x'],
    ['a no_proxy host:port', 'https://login.example.org:8443/x']
  ])('connects directly to %s', (_, url) => {
    expect(proxyFor(url, behind)).toBeUndefined()
  })

  it('tunnels a host name that merely starts with 127.', () => {
    expect(proxyFor('https://127.attacker.example/x', behind)).toBeDefined()
  })

  it('does not match a no_proxy host:port on another port, nor a mere suffix of a name', () => {
    expect(proxyFor('https://login.example.org/x', behind)).toBeDefined()
    expect(proxyFor('https://notinternal.corp/x', behind)).toBeDefined()
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

import { isIPv4 } from 'node:net'
import { ActionError } from './errors.js'

/** A proxy to tunnel HTTPS through, and where its URL came from (for messages). */
export interface Proxy {
  url: URL
  /** The environment variable that named it: 'https_proxy' or 'HTTPS_PROXY'. */
  variable: string
  /** host:port, safe to print (no credentials). */
  address: string
}

export interface ProxySettings {
  /** From https_proxy (or HTTPS_PROXY); undefined when neither is set. */
  https?: Proxy
  /** no_proxy (or NO_PROXY) entries, upper-cased. */
  noProxy: string[]
}

/**
 * Reads the proxy variables a self-hosted runner's administrator sets, with the rules of
 * @actions/http-client (lib/proxy.ts): https_proxy before HTTPS_PROXY, a missing scheme means
 * http://, no_proxy entries match a host, its subdomains or host:port, and `*` matches all.
 * Unlike it, a URL that cannot be read is an error naming the variable, not a silent direct
 * connection around the proxy. Only HTTPS is ever proxied: every plain-HTTP endpoint this
 * action talks to (a managed identity endpoint, a loopback test server) is on the machine.
 */
export function parseProxySettings(env: Readonly<Record<string, string | undefined>>): ProxySettings {
  const variable = env.https_proxy ? 'https_proxy' : env.HTTPS_PROXY ? 'HTTPS_PROXY' : undefined
  const noProxy = (env.no_proxy || env.NO_PROXY || '')
    .split(',')
    .map(entry => entry.trim().toUpperCase())
    .filter(Boolean)
  if (!variable) return { noProxy }
  const value = env[variable]!.trim()
  return { https: parseProxyUrl(value, variable), noProxy }
}

function parseProxyUrl(value: string, variable: string): Proxy {
  const fail = (why: string) =>
    new ActionError('invalid-input', `The proxy in ${variable} ${why}.`, {
      input: variable,
      hint: `Set ${variable} to http://host:port (user and password percent-encoded, if any), or unset it to connect directly; the action never goes around a proxy it cannot read.`
    })
  const url = proxyUrl(value)
  if (!url) throw fail('is not a URL')
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`uses '${url.protocol.slice(0, -1)}', not http or https`)
  if (!url.hostname) throw fail('has no host')
  try {
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
  } catch {
    throw fail('has a user or password that is not valid percent-encoding')
  }
  return { url, variable, address: `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}` }
}

/** A proxy variable's value as a URL (a missing scheme means http://), or undefined. */
function proxyUrl(value: string): URL | undefined {
  const text = value.trim()
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    return undefined
  }
}

/** The password in a proxy variable, decoded, read exactly as the proxy itself will be: it is masked. */
export function proxyPassword(value: string | undefined): string {
  try {
    return value ? decodeURIComponent(proxyUrl(value)?.password ?? '') : ''
  } catch {
    return ''
  }
}

/** The proxy to use for a URL: none for plain HTTP, for loopback, and for no_proxy matches. */
export function proxyFor(target: string, settings: ProxySettings): Proxy | undefined {
  const url = new URL(target)
  if (url.protocol !== 'https:' || !settings.https || isLoopback(url.hostname)) return undefined
  const host = url.hostname.toUpperCase()
  const hosts = [host, `${host}:${url.port || 443}`]
  const bypass = settings.noProxy.some(
    entry => entry === '*' || hosts.some(h => h === entry || h.endsWith(entry.startsWith('.') ? entry : `.${entry}`))
  )
  return bypass ? undefined : settings.https
}

/** localhost, an IPv4 address in 127.0.0.0/8 or the IPv6 ::1, as URL.hostname writes them; never a name like 127.example.com. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.')) || host === '[::1]'
}

import { BlockList, isIP, isIPv4 } from 'node:net'
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
  /** no_proxy (or NO_PROXY) entries, lower-cased, as given. */
  noProxy: string[]
}

/**
 * Reads the proxy variables a self-hosted runner's administrator sets: https_proxy before
 * HTTPS_PROXY, a missing scheme means http:// (as @actions/http-client, lib/proxy.ts), and no_proxy
 * as curl reads it (see noProxyMatches). A URL that cannot be read is an error naming the
 * variable, not a silent direct connection around the proxy. Only HTTPS is ever proxied: every
 * plain-HTTP endpoint this action talks to (a managed identity endpoint, a loopback test server)
 * is on the machine.
 */
export function parseProxySettings(env: Readonly<Record<string, string | undefined>>): ProxySettings {
  const variable = env.https_proxy ? 'https_proxy' : env.HTTPS_PROXY ? 'HTTPS_PROXY' : undefined
  const noProxy = (env.no_proxy || env.NO_PROXY || '')
    .split(/[,\s]+/)
    .map(entry => entry.toLowerCase())
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

/**
 * What a proxy variable holds that is secret, read exactly as the proxy itself will be, to be
 * masked: the password, decoded; the Basic credential as the Proxy-Authorization header sends it,
 * which NODE_DEBUG=http or net prints to stderr; and a user name with no password, which is the
 * whole credential (https://TOKEN@proxy:3128), unless it is too short to be one and masking it
 * would blank that text everywhere in the log (its base64 is masked all the same).
 */
export function proxySecrets(value: string | undefined): string[] {
  const url = value ? proxyUrl(value) : undefined
  const credential = url && basicCredential(url)
  if (!url || !credential) return []
  const password = decodeURIComponent(url.password)
  const user = decodeURIComponent(url.username)
  return [credential, password, ...(password === '' && user.length >= 8 ? [user] : [])].filter(Boolean)
}

/** user:password of a proxy URL, base64 as in Basic authentication (RFC 7617 §2); undefined without a user or with bad encoding. */
export function basicCredential(url: URL): string | undefined {
  if (!url.username) return undefined
  try {
    return Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')
  } catch {
    return undefined
  }
}

/** The proxy to use for a URL: none for plain HTTP, for loopback, and for no_proxy matches. */
export function proxyFor(target: string, settings: ProxySettings): Proxy | undefined {
  const url = new URL(target)
  if (url.protocol !== 'https:' || !settings.https || isLoopback(url.hostname)) return undefined
  return noProxyMatches(url.hostname, settings.noProxy) ? undefined : settings.https
}

/**
 * Whether no_proxy sends a host around the proxy, by curl's rules (CURLOPT_NOPROXY, lib/noproxy.c),
 * the rules most tools on a runner share; @actions/http-client's suffix match would let `2.10`
 * match 192.0.2.10 and never matches an IPv6 address or a range.
 * - `*` as the whole value matches every host (among other entries it is no host name);
 * - a host name matches an entry equal to it or to one of its parent domains, at a dot, with no
 *   regard to case, a leading dot or a trailing dot: `example.com` and `.example.com` both match
 *   example.com and login.example.com, never notexample.com;
 * - an IP address matches only an address or a CIDR range of its own family (`10.1.2.3`,
 *   `10.0.0.0/8`, `::1`, `fd00::/8`; IPv6 without brackets), compared as numbers, never as text
 *   (curl before 8.18 compared IPv6 as text, curl/curl#19828);
 * - an entry with a port (`host:8443`) names no host, and matches none, as in curl.
 */
export function noProxyMatches(hostname: string, entries: readonly string[]): boolean {
  if (entries.length === 1 && entries[0] === '*') return true
  const host = unbracket(hostname.toLowerCase())
  const family = isIP(host)
  if (family) {
    const type = family === 4 ? 'ipv4' : 'ipv6'
    return entries.some(entry => {
      const [address, bits, ...rest] = entry.split('/')
      if (rest.length || isIP(address) !== family) return false
      const ranges = new BlockList()
      if (bits === undefined) ranges.addAddress(address, type)
      else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) ranges.addSubnet(address, Number(bits), type)
      else return false
      return ranges.check(host, type)
    })
  }
  const name = host.replace(/\.$/, '')
  return entries.some(entry => {
    const domain = entry.replace(/^\./, '').replace(/\.$/, '')
    return domain !== '' && (name === domain || name.endsWith(`.${domain}`))
  })
}

function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1')
}

/** localhost, an IPv4 address in 127.0.0.0/8 or the IPv6 ::1, as URL.hostname writes them; never a name like 127.example.com. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.')) || host === '[::1]'
}

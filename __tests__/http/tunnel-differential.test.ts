import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { execFile, spawnSync } from 'node:child_process'
import https from 'node:https'
import net from 'node:net'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServerTls } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { noProxyMatches, parseProxySettings } from '../../src/proxy.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

// The same requests sent by curl and by the action's transport, directly and through the same
// CONNECT proxy, to a name, an IPv4 and an IPv6 host on loopback: both must send the same CONNECT
// request and Host header, the same SNI, and accept exactly the same server certificates. curl is
// the reference for what a careful HTTPS client does (RFC 9110 §7.2 Host, RFC 6066 §3 SNI for names
// only, RFC 6125 / RFC 2818 §3.1 for names and IP addresses in certificates). Both are child
// processes trusting the test CA as a runner would trust one; nock is set aside for this file.
beforeAll(() => nock.restore())

const root = fileURLToPath(new URL('../..', import.meta.url))
const curlInfo = spawnSync('curl', ['--version'], { encoding: 'utf8' })
// Windows' curl checks certificates with Schannel, which has rules of its own: the reference is curl with OpenSSL.
const haveCurl = !curlInfo.error && process.platform !== 'win32'
/** curl's version as major * 1000 + minor: 7088 for 7.88.1. */
const curlVersion = (([, major, minor]) => Number(major) * 1000 + Number(minor))(/^curl (\d+)\.(\d+)/.exec(curlInfo.stdout ?? '') ?? [])
const ipv6 = await new Promise<boolean>(resolve => {
  const probe = net.createServer().once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

interface Seen {
  host: string | undefined
  sni: string | false | null
}
interface Outcome {
  accepted: boolean
  /** What the server saw of an accepted request. */
  seen?: Seen
  /** The CONNECT the proxy received, through the proxy. */
  connect?: { line: string; host: string | undefined }
}

;(haveCurl ? describe : describe.skip)('the transport and curl (skipped where curl is not installed, and on Windows)', () => {
  const dir = makeTempDir('differential-')
  let caPath: string
  const servers: https.Server[] = []
  /** A port per certificate, served on 127.0.0.1 and (where the machine has it) ::1. */
  const ports: Record<string, number> = {}
  const seen: Seen[] = []
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>

  async function listen(server: https.Server, host: string, port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
    servers.push(server)
    return (server.address() as net.AddressInfo).port
  }

  beforeAll(async () => {
    const [trusted, untrusted] = ['trusted-ca', 'other-ca'].map(name => {
      mkdirSync(join(dir, name))
      return createServerTls(join(dir, name))
    })
    caPath = trusted.caPath
    const certificates = {
      'DNS SAN localhost': trusted.serverCertificate('name', ['DNS:localhost']),
      'IP SAN 127.0.0.1': trusted.serverCertificate('ipv4', ['IP:127.0.0.1']),
      'IP SAN ::1': trusted.serverCertificate('ipv6', ['IP:::1']),
      'every name, from an untrusted CA': untrusted.serverCertificate('untrusted', ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'])
    }
    for (const [label, certificate] of Object.entries(certificates)) {
      const make = () =>
        https.createServer(certificate, (req, res) => {
          seen.push({ host: req.headers.host, sni: (req.socket as import('node:tls').TLSSocket).servername })
          res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{}')
        })
      // One port on both addresses, so that `localhost` reaches the same server whichever it resolves to;
      // another try when that port is taken on ::1.
      for (let attempt = 0; ; attempt++) {
        const v4 = make()
        ports[label] = await listen(v4, '127.0.0.1')
        if (!ipv6) break
        const taken = await listen(make(), '::1', ports[label]).then(
          () => false,
          () => true
        )
        if (!taken) break
        servers.splice(servers.indexOf(v4), 1)
        await new Promise(resolve => v4.close(resolve))
        if (attempt === 4) throw new Error(`no port free on both 127.0.0.1 and ::1 for ${label}`)
      }
    }
    proxy = await startConnectProxy()
  })
  afterAll(async () => {
    await proxy?.close()
    for (const server of servers) {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
    removeTempDir(dir)
  })

  const hosts = ['localhost', '127.0.0.1', ...(ipv6 ? ['[::1]'] : [])]
  const cases = (via: 'direct' | 'proxy') => Object.keys(ports).flatMap(certificate => hosts.map(host => ({ certificate, host, via })))

  /** Runs each case with one client, one at a time, and notes what the server and proxy saw. */
  async function outcomes(
    send: (jobs: { url: string; proxy?: string }[]) => Promise<boolean[]>,
    list: { certificate: string; host: string; via: string }[]
  ): Promise<Outcome[]> {
    const result: Outcome[] = []
    for (const c of list) {
      seen.length = 0
      proxy.requests.length = 0
      const url = `https://${c.host}:${ports[c.certificate]}/differential`
      const [accepted] = await send([{ url, ...(c.via === 'proxy' ? { proxy: proxy.url } : {}) }])
      result.push({ accepted, seen: accepted ? seen[0] : undefined, connect: proxy.requests[0] })
    }
    return result
  }

  const curl = (jobs: { url: string; proxy?: string }[]) =>
    Promise.all(
      jobs.map(
        job =>
          new Promise<boolean>(resolve => {
            // -g: [::1] is an address, not a glob. A clean environment: no proxy but the one given.
            const args = ['-g', '-sS', '-o', '-', '--cacert', caPath, '--max-time', '10', job.url]
            if (job.proxy) args.unshift('--proxy', job.proxy, '--noproxy', '')
            execFile('curl', args, { env: { PATH: process.env.PATH } }, error => resolve(!error))
          })
      )
    )

  const transport = (jobs: { url: string; proxy?: string }[]) =>
    new Promise<boolean[]>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', join(root, '__tests__/helpers/transport-client.ts'), JSON.stringify(jobs)],
        { cwd: root, env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caPath } },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(`the transport client failed: ${stderr}`))
          resolve((JSON.parse(stdout) as { status?: number }[]).map(outcome => outcome.status === 200))
        }
      )
    })

  it.each(['direct', 'proxy'] as const)('%s: the same Host, SNI, CONNECT and certificate decisions', async via => {
    const list = cases(via)
    const reference = await outcomes(curl, list)
    const ours = await outcomes(transport, list)
    const label = (o: Outcome[]) => Object.fromEntries(list.map((c, i) => [`${c.host} with ${c.certificate}`, o[i]]))
    expect(label(ours)).toEqual(label(reference))
    // And the reference itself is what the RFCs say, so that two clients wrong alike cannot pass.
    const accepted = list.filter((_, i) => reference[i].accepted).map(c => `${c.host} with ${c.certificate}`)
    expect(accepted).toEqual([
      'localhost with DNS SAN localhost',
      '127.0.0.1 with IP SAN 127.0.0.1',
      ...(ipv6 ? ['[::1] with IP SAN ::1'] : [])
    ])
    for (const [i, c] of list.entries()) {
      if (reference[i].accepted) {
        const port = ports[c.certificate]
        expect(reference[i].seen).toEqual({ host: `${c.host}:${port}`, sni: c.host === 'localhost' ? 'localhost' : false })
      }
      if (via === 'proxy') expect(reference[i].connect).toMatchObject({ line: `CONNECT ${c.host}:${ports[c.certificate]} HTTP/1.1` })
    }
  })

  it('through the proxy, a URL on the default port: CONNECT name:443 and the Host header without a port', async () => {
    const fixed = await startConnectProxy(ports['DNS SAN localhost'])
    try {
      const run = async (send: typeof curl) => {
        seen.length = 0
        const [accepted] = await send([{ url: 'https://localhost/differential', proxy: fixed.url }])
        return { accepted, seen: seen[0], connect: fixed.requests.pop() }
      }
      const reference = await run(curl)
      expect(await run(transport)).toEqual(reference)
      expect(reference).toEqual({
        accepted: true,
        seen: { host: 'localhost', sni: 'localhost' },
        connect: { line: 'CONNECT localhost:443 HTTP/1.1', host: 'localhost:443' }
      })
    } finally {
      await fixed.close()
    }
  })

  it('a proxy that sends bytes after its 200 in the same packet: both fail at once, not at the deadline', async () => {
    // curl hands the bytes to TLS, which fails on them ("wrong version number"); the transport
    // fails before TLS and names the proxy. Either way, nothing waits.
    const held = new Set<net.Socket>()
    // The connection stays open: only the bytes themselves can end the request early.
    const junk = net.createServer(socket => {
      held.add(socket)
      socket.on('error', () => {})
      socket.once('data', () => socket.write('HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'))
    })
    await new Promise<void>(resolve => junk.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(junk.address() as net.AddressInfo).port}`
    try {
      for (const send of [curl, transport]) {
        const started = Date.now()
        expect(await send([{ url: `https://localhost:${ports['DNS SAN localhost']}/differential`, proxy: url }])).toEqual([false])
        expect(Date.now() - started).toBeLessThan(8000)
      }
    } finally {
      for (const socket of held) socket.destroy()
      await new Promise(resolve => junk.close(resolve))
    }
  })

  it('through the proxy, an IP address that the certificate does not name is refused by both, whatever the proxy is', async () => {
    // 127.0.0.2 reaches the 127.0.0.1 server only through the proxy (which always connects to
    // 127.0.0.1): its certificates name 127.0.0.1 and localhost, the proxy's own host, never 127.0.0.2.
    const list = Object.keys(ports).map(certificate => ({ certificate, host: '127.0.0.2', via: 'proxy' }))
    const reference = await outcomes(curl, list)
    expect(await outcomes(transport, list)).toEqual(reference)
    expect(reference.map(o => o.accepted)).toEqual(list.map(() => false))
    expect(reference.map(o => o.connect?.line)).toEqual(list.map(c => `CONNECT 127.0.0.2:${ports[c.certificate]} HTTP/1.1`))
  })
})

;(haveCurl ? describe : describe.skip)('no_proxy: the same decisions as curl (skipped where curl is not installed, and on Windows)', () => {
  // Loopback only: a host curl connects to directly must be on this machine, so the addresses are
  // 127.0.0.x and ::1, and the names resolve to 127.0.0.1 (--resolve). The port is closed, and so
  // is the proxy's: curl's error says which of the two it tried.
  let closedPort: number
  beforeAll(async () => {
    const probe = net.createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    closedPort = (probe.address() as net.AddressInfo).port
    await new Promise(resolve => probe.close(resolve))
  })

  const curlBypasses = (host: string, noProxy: string) =>
    new Promise<boolean>(resolve => {
      const args = ['-g', '-sS', '--max-time', '5', '-x', `http://127.0.0.1:${closedPort}`]
      for (const name of ['login.example.com', 'notexample.com']) args.push('--resolve', `${name}:1:127.0.0.1`)
      execFile('curl', [...args, `https://${host}:1/`], { env: { PATH: process.env.PATH, NO_PROXY: noProxy } }, (_error, _out, stderr) =>
        resolve(!stderr.includes(`port ${closedPort}`))
      )
    })

  const rows: [string, string][] = [
    ['127.0.0.10', '127.0.0.10'],
    ['127.0.0.10', '0.10'],
    ['127.0.0.10', '.0.10'],
    ['127.0.0.10', '127.0.0.0/24'],
    ['127.0.0.10', '127.0.1.0/24'],
    ['127.0.0.10', '127.0.0.10:1'],
    ['127.0.0.10', '*'],
    ...(ipv6
      ? ([
          ['[::1]', '::1'],
          ['[::1]', '[::1]'],
          ['[::1]', '::2'],
          ['[::1]', '127.0.0.0/8'],
          // Compared as numbers since curl 8.18 (curl/curl#19828), as text before.
          ...(curlVersion >= 8_018
            ? [
                ['[::1]', '0:0:0:0:0:0:0:1'],
                ['[::1]', '::/64'],
                ['[::1]', 'fe80::/10']
              ]
            : [])
        ] as [string, string][])
      : []),
    ['login.example.com', 'example.com'],
    ['login.example.com', '.example.com'],
    ['login.example.com', 'example.com.'],
    ['login.example.com', 'EXAMPLE.com'],
    ['login.example.com', 'ample.com'],
    ['notexample.com', 'example.com'],
    ['login.example.com', 'login.example.com:1'],
    ['login.example.com', 'example.org,*'],
    ['login.example.com', 'example.org, example.com']
  ]

  it('for IPv4 and IPv6 addresses, ranges, names, *, leading dots and ports (IPv6 spellings and ranges with curl 8.18 or later)', async () => {
    const ours: Record<string, boolean> = {}
    const reference: Record<string, boolean> = {}
    for (const [host, noProxy] of rows) {
      const key = `${host} with no_proxy=${noProxy}`
      reference[key] = await curlBypasses(host, noProxy)
      ours[key] = noProxyMatches(new URL(`https://${host}/`).hostname, parseProxySettings({ no_proxy: noProxy }).noProxy)
    }
    expect(ours).toEqual(reference)
    // Not two clients wrong alike: the suffix match that let `0.10` bypass the proxy is gone.
    expect(reference['127.0.0.10 with no_proxy=0.10']).toBe(false)
    expect(reference['127.0.0.10 with no_proxy=127.0.0.0/24']).toBe(true)
  })
})

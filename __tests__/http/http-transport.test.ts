import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import http from 'node:http'
import net from 'node:net'
import https from 'node:https'
import { createServerTls } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import type { Proxy } from '../../src/proxy.js'
import { startBlackHole } from '../helpers/black-hole.js'
import { itExceptOn } from '../helpers/platform.js'

// The transport against real sockets on loopback: what nock cannot show (IPv6 literals, a body
// that stalls, a connect that never completes). nock is set aside for this file only.
beforeAll(() => nock.restore())

const transport = createHttp('graph-token-action/test')
const servers: http.Server[] = []
const rawServers: net.Server[] = []
const rawSockets = new Set<net.Socket>()
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
  for (const socket of rawSockets) socket.destroy()
  for (const server of rawServers) await new Promise(resolve => server.close(resolve))
})

/** A TCP server on 127.0.0.1 that answers the first bytes it receives with `answer` (then ends, if `end`). */
async function rawServer(answer: string, end = false) {
  const server = net.createServer(socket => {
    rawSockets.add(socket)
    socket.on('error', () => {})
    socket.once('data', () => (end ? socket.end(answer) : socket.write(answer)))
  })
  rawServers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

const proxyAt = (port: number): Proxy => ({
  url: new URL(`http://127.0.0.1:${port}`),
  variable: 'https_proxy',
  address: `127.0.0.1:${port}`
})

/** A request with a 20 s deadline, so that anything that waits for it shows as a slow failure. */
async function attempt(url: string, proxy?: Proxy) {
  const started = Date.now()
  const outcome = await transport
    .request({ method: 'GET', url, headers: {}, proxy, signal: AbortSignal.timeout(20_000) })
    .catch((error: unknown) => error)
  return { outcome, ms: Date.now() - started }
}

async function serve(host: string, handler: http.RequestListener) {
  const server = http.createServer(handler)
  server.keepAliveTimeout = 0
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  return (server.address() as net.AddressInfo).port
}

const ipv6 = await new Promise<boolean>(resolve => {
  const probe = net.createServer().once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

describe('createHttp', () => {
  ;(ipv6 ? it : it.skip)(
    'reaches an IPv6 literal such as http://[::1]:port without a DNS lookup (skipped where the machine has no ::1)',
    async () => {
      const port = await serve('::1', (_req, res) => res.end('{"ok":true}'))
      const response = await transport.request({
        method: 'GET',
        url: `http://[::1]:${port}/x`,
        headers: {},
        signal: new AbortController().signal
      })
      expect(response).toMatchObject({ status: 200, body: '{"ok":true}' })
    }
  )

  it('says the answer started but did not finish when an attempt is cut off mid-body, not "no answer"', async () => {
    const port = await serve('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('{"access_token":')
    })
    const attempt = new AbortController()
    const pending = transport.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {}, signal: attempt.signal })
    setTimeout(() => attempt.abort(new ActionError('timeout', 'No answer within 20 s.', { transient: true })), 200)
    const error = await pending.catch(e => e)
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe('The answer from 127.0.0.1:' + port + ' started but did not finish in time (16 of 100 bytes received).')
    expect(error.transient).toBe(true)
  })

  it('keeps "no answer" when nothing arrived', async () => {
    const port = await serve('127.0.0.1', () => {})
    const attempt = new AbortController()
    const pending = transport.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {}, signal: attempt.signal })
    setTimeout(() => attempt.abort(new ActionError('timeout', 'No answer within 20 s.', { transient: true })), 100)
    await expect(pending).rejects.toThrow('No answer within 20 s.')
  })

  itExceptOn('win32', 'the black hole stops a process with SIGSTOP')(
    'gives up connecting after connectTimeoutMs, as an unreachable host that is not worth retrying',
    async () => {
      const hole = await startBlackHole()
      try {
        const started = Date.now()
        const error = await transport
          .request({
            method: 'GET',
            url: `http://127.0.0.1:${hole.port}/`,
            headers: {},
            signal: new AbortController().signal,
            connectTimeoutMs: 300
          })
          .catch(e => e)
        expect(error).toBeInstanceOf(ActionError)
        expect(error.message).toBe(`Could not connect to 127.0.0.1:${hole.port} within 0.3 s.`)
        expect(error).toMatchObject({ unreachable: true, transient: false })
        expect(Date.now() - started).toBeLessThan(2000)
      } finally {
        hole.close()
      }
    }
  )

  describe('answers that are not a tunnel or not an answer end at once', () => {
    it('a proxy that sends bytes after its 200 in the same packet is named, without waiting for the deadline', async () => {
      const port = await rawServer('HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{"access_token":"x"}')
      const { outcome, ms } = await attempt('https://login.entra.test/t', proxyAt(port))
      expect(outcome).toBeInstanceOf(ActionError)
      expect((outcome as ActionError).message).toBe(
        `The proxy 127.0.0.1:${port} (from https_proxy) sent 39 bytes after its 200 to CONNECT, before the server could speak.`
      )
      expect(outcome).toMatchObject({ code: 'bad-response', transient: false })
      expect(ms).toBeLessThan(5000)
    })

    it.each([
      ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n'],
      ['100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n']
    ])('a proxy that answers CONNECT with %s is a bad answer at once', async (status, answer) => {
      const port = await rawServer(answer)
      const { outcome, ms } = await attempt('https://login.entra.test/t', proxyAt(port))
      expect((outcome as ActionError).message).toBe(
        `The proxy 127.0.0.1:${port} (from https_proxy) answered CONNECT to login.entra.test:443 with only HTTP ${status.split(' ')[0]}, an interim answer, not a tunnel.`
      )
      expect(outcome).toMatchObject({ code: 'bad-response', transient: false })
      expect(ms).toBeLessThan(5000)
    })

    it('a server that answers a request with 101 Switching Protocols is a bad answer at once, not "no answer"', async () => {
      const port = await rawServer('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n')
      const { outcome, ms } = await attempt(`http://127.0.0.1:${port}/token`)
      expect((outcome as ActionError).message).toBe(`127.0.0.1:${port} answered only HTTP 101, an interim answer, and switched protocols.`)
      expect(outcome).toMatchObject({ code: 'bad-response', transient: false })
      expect(ms).toBeLessThan(5000)
    })

    it('a server that answers only 100 Continue and closes is a bad answer, not a reset worth retrying', async () => {
      const port = await rawServer('HTTP/1.1 100 Continue\r\n\r\n', true)
      const { outcome } = await attempt(`http://127.0.0.1:${port}/token`)
      expect((outcome as ActionError).message).toBe(
        `127.0.0.1:${port} answered only HTTP 100, an interim answer, and closed the connection.`
      )
      expect(outcome).toMatchObject({ code: 'bad-response', transient: false })
    })

    it('an interim 1xx before the final answer is passed over, as RFC 9110 §15.2 asks', async () => {
      const port = await rawServer('HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}', true)
      const { outcome } = await attempt(`http://127.0.0.1:${port}/token`)
      expect(outcome).toMatchObject({ status: 200, body: '{"ok":true}' })
    })

    it('a complete answer followed by stray bytes on a Connection: close socket is used, not reported as cut off', async () => {
      const body = JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ0eXAiOiJKV1QifQ.e30.c2ln' })
      const port = await rawServer(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}stray bytes`,
        true
      )
      const { outcome } = await attempt(`http://127.0.0.1:${port}/token`)
      expect(outcome).toMatchObject({ status: 200, body })
    })
  })

  describe('NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', () => {
    const dir = makeTempDir('tls-check-')
    const tls = createServerTls(dir)
    afterAll(() => removeTempDir(dir))

    it('does not make a server with an untrusted certificate receive the request, and the error names the variable', async () => {
      const received: string[] = []
      const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
        received.push(req.url ?? '')
        res.end('{}')
      })
      servers.push(server)
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as net.AddressInfo
      const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
      try {
        const warned = createHttp('graph-token-action/test', { tlsChecksDisabledByEnvironment: true })
        const error = await warned
          .request({
            method: 'POST',
            url: `https://127.0.0.1:${port}/token`,
            headers: {},
            body: 'client_secret=s',
            signal: AbortSignal.timeout(10_000)
          })
          .catch((e: unknown) => e)
        expect((error as ActionError).message).toMatch(new RegExp(`^The certificate of 127\\.0\\.0\\.1:${port} was refused: `))
        expect((error as ActionError).hint).toMatch(/^NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment, and the action ignores it/)
        expect(received).toEqual([])
      } finally {
        if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved
      }
    })
  })
})

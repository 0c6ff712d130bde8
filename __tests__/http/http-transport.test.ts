import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import http from 'node:http'
import net from 'node:net'
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import { startBlackHole } from '../helpers/black-hole.js'
import { itExceptOn } from '../helpers/platform.js'

// The transport against real sockets on loopback: what nock cannot show (IPv6 literals, a body
// that stalls, a connect that never completes). nock is set aside for this file only.
beforeAll(() => nock.restore())

const transport = createHttp('graph-token-action/test')
const servers: http.Server[] = []
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

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
})

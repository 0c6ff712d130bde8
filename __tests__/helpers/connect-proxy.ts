import http from 'node:http'
import net from 'node:net'

/**
 * A CONNECT proxy on 127.0.0.1, like the one a self-hosted runner sits behind. Every tunnel goes
 * to 127.0.0.1 whatever host was asked for, so the action can use a host name (which it would not
 * proxy if it were loopback) and still reach only this machine: to the given port, or without
 * one, to the port asked for.
 */
export async function startConnectProxy(targetPort?: number) {
  const connects: string[] = []
  const requests: { line: string; host: string | undefined; authorization?: string }[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req, client: net.Socket, head: Buffer) => {
    connects.push(req.url ?? '')
    const authorization = req.headers['proxy-authorization']
    requests.push({
      line: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      host: req.headers.host,
      ...(authorization ? { authorization } : {})
    })
    const port = targetPort ?? Number(new URL(`http://${req.url}`).port)
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => s.destroy())
      s.on('close', () => sockets.delete(s))
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    /** The host:port of every CONNECT received. */
    connects,
    /** Every CONNECT's request line, Host header and Proxy-Authorization (when sent). */
    requests,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

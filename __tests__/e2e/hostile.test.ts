import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { annotations, commands, DEMO, leaks, masks, PROXIED_HOST, startE2e } from '../helpers/e2e.js'
import { itExceptOn } from '../helpers/platform.js'

// What the worst proxy, token or runner can do, run as the runner runs the action (debug on):
// proxies that never answer, refuse or want credentials; token claims written to inject workflow
// commands; a runner without the files an action expects. (Hostile servers are in faults.test.ts.)
// Every run must end within timeout-seconds plus one second and leak nothing.
let e2e: Awaited<ReturnType<typeof startE2e>>
beforeAll(async () => {
  e2e = await startE2e()
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

describe('proxies that misbehave', () => {
  /** A TCP server that accepts and then does what `onConnection` says (nothing, by default). */
  async function rawProxy(onConnection: (socket: net.Socket) => void = () => {}) {
    const sockets = new Set<net.Socket>()
    const server = net.createServer(socket => {
      sockets.add(socket)
      socket.on('error', () => {})
      onConnection(socket)
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      connections: () => sockets.size,
      close: async () => {
        for (const s of sockets) s.destroy()
        await new Promise(resolve => server.close(resolve))
      }
    }
  }
  const host = () => `https://${PROXIED_HOST}:${e2e.simulator.port}`

  it.each([
    ['accepts the connection and never answers CONNECT', () => {}],
    [
      'answers CONNECT and then stalls',
      (socket: net.Socket) => socket.once('data', () => socket.write('HTTP/1.1 200 Connection Established\r\n\r\n'))
    ]
  ])('a proxy that %s: the process exits at the deadline with one error', async (_, behaviour) => {
    const silent = await rawProxy(behaviour)
    try {
      const result = await e2e.run({ 'authority-host': host(), 'timeout-seconds': '2' }, { https_proxy: silent.url, RUNNER_DEBUG: '1' })
      // runAction resolves when the process has exited and its output closed, not when the error was printed.
      expect(result.code).toBe(1)
      expect(result.ms).toBeLessThan(3000)
      expect(annotations(result)).toEqual([expect.stringMatching(/^Timed out: no token within 2 s\./)])
      expect(silent.connections()).toBe(1)
      expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
    } finally {
      await silent.close()
    }
  })

  it('a proxy that refuses connections is named, with the variable it came from', async () => {
    const closed = await rawProxy()
    await closed.close()
    const result = await e2e.run({ 'authority-host': host(), 'max-attempts': '2' }, { HTTPS_PROXY: closed.url })
    expect(result.code).toBe(1)
    expect(annotations(result)[0]).toMatch(
      new RegExp(
        `^Gave up after 2 attempts\\. The last one: Could not reach the proxy 127\\.0\\.0\\.1:${closed.port} \\(from HTTPS_PROXY\\): .*ECONNREFUSED`
      )
    )
    expect(annotations(result)[0]).toMatch(/Check that the proxy is running and that HTTPS_PROXY names it/)
  })

  it.each([
    [
      'sends bytes right after its 200, in the same packet',
      'HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n',
      /sent 19 bytes after its 200 to CONNECT/
    ],
    [
      'answers CONNECT with 101 Switching Protocols',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n',
      /answered CONNECT to login\.entra\.test:\d+ with only HTTP 101/
    ]
  ])('a proxy that %s fails at once, named, with nothing sent to the server', async (_, answer, message) => {
    const odd = await rawProxy(socket => socket.once('data', () => socket.write(answer)))
    try {
      const result = await e2e.run({ 'authority-host': host(), 'timeout-seconds': '20' }, { https_proxy: odd.url, RUNNER_DEBUG: '1' })
      expect(result.code).toBe(1)
      // One attempt, no retry and no wait for the 20 s deadline: the proxy is not a tunnel.
      expect(result.ms).toBeLessThan(10_000)
      const [error, ...rest] = annotations(result)
      expect(rest).toEqual([])
      expect(error).toMatch(new RegExp(`^The proxy 127\\.0\\.0\\.1:${odd.port} \\(from https_proxy\\) `))
      expect(error).toMatch(message)
      expect(e2e.simulator.requests).toHaveLength(0)
      expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
    } finally {
      await odd.close()
    }
  })

  it('a proxy that wants credentials says so', async () => {
    const strict = await rawProxy(socket => socket.once('data', () => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n')))
    try {
      const result = await e2e.run({ 'authority-host': host() }, { https_proxy: strict.url })
      expect(result.code).toBe(1)
      expect(annotations(result)[0]).toMatch(/refused to open a tunnel to login\.entra\.test:\d+: HTTP 407\. The proxy wants credentials/)
      expect(e2e.simulator.requests).toHaveLength(0)
    } finally {
      await strict.close()
    }
  })
})

describe('token claims written to inject workflow commands', () => {
  const INJECTED = {
    displayName: 'Release bot\n::set-output name=token::stolen\r::warning::fake warning ##[add-mask]e\u2028::stop-commands::x',
    roles: ['User.Read.All', 'Evil\n::set-output name=roles::x', '##[add-mask]a', 'Group.Read.All'],
    tid: 'contoso\n::add-mask::o'
  }
  let hostile: Awaited<ReturnType<typeof startE2e>>
  beforeAll(async () => {
    hostile = await startE2e({
      apps: [
        { clientId: DEMO.clientId, displayName: INJECTED.displayName, secrets: [{ value: DEMO.clientSecret }], roles: INJECTED.roles }
      ],
      tokenClaims: { tid: INJECTED.tid }
    })
  })
  afterAll(() => hostile.stop())

  it.each([
    ['with GITHUB_OUTPUT', true],
    ['on a runner without GITHUB_OUTPUT (outputs as ::set-output)', false]
  ])('%s: the runner sees no command but ours, and the outputs carry only what they promise', async (_, outputFile) => {
    const result = await hostile.run({ 'job-summary': 'true' }, { RUNNER_DEBUG: '1' }, { outputFile })
    expect(result.code).toBe(0)
    const seen = commands(result)
    expect(seen.filter(c => c.legacy)).toEqual([])
    expect(new Set(seen.map(c => c.name))).toEqual(new Set(['add-mask', 'debug', ...(outputFile ? [] : ['set-output'])]))
    const token = outputFile ? result.outputs.token : seen.find(c => c.name === 'set-output' && c.data)!.data
    expect(masks(result)).toEqual([DEMO.clientSecret, DEMO.clientSecret.replace('~', '%7E'), token])
    const outputs = outputFile
      ? result.outputs
      : Object.fromEntries(
          result.stdout
            .split('\n')
            .map(l => /^::set-output name=([a-z-]+)::(.*)$/.exec(l))
            .filter(m => m !== null)
            .map(m => [m[1], m[2]])
        )
    expect(outputs).toMatchObject({ token, 'tenant-id': '', roles: 'User.Read.All,Group.Read.All' })
    // The one info line is one line, and the app's name is still recognisable in it.
    const info = result.stdout.split('\n').filter(l => l.startsWith('Got a token'))
    expect(info).toHaveLength(1)
    expect(info[0]).toContain('Release bot')
    // No markdown block opened from a cell.
    expect(result.summary.split('\n').filter(l => l.startsWith('| App |'))).toHaveLength(1)
    expect(result.summary).not.toMatch(/\n::/)
    expect(leaks(result, { secret: DEMO.clientSecret, token })).toEqual([])
  })
})

describe('a runner that lacks what an action expects', () => {
  it('without GITHUB_STEP_SUMMARY: a warning, the outputs, and success', async () => {
    const result = await e2e.run({ 'job-summary': 'true' }, {}, { stepSummary: false })
    expect(result.code).toBe(0)
    expect(annotations(result, 'warning')).toEqual([expect.stringMatching(/GITHUB_STEP_SUMMARY is not set.*outputs are written/)])
    expect(result.outputs.token.split('.')).toHaveLength(3)
  })

  it('with a GITHUB_STEP_SUMMARY that cannot be written: a warning, the outputs, and success', async () => {
    const result = await e2e.run({ 'job-summary': 'true' }, { GITHUB_STEP_SUMMARY: tmpdir() })
    expect(result.code).toBe(0)
    expect(annotations(result, 'warning')).toEqual([
      expect.stringMatching(
        /the job summary cannot be written: GITHUB_STEP_SUMMARY names something that is not a regular file\. The outputs are written/
      )
    ])
    expect(result.outputs.token.split('.')).toHaveLength(3)
  })

  itExceptOn('win32', 'named pipes there are not files')(
    'with GITHUB_OUTPUT naming a named pipe: one error at once, not a step blocked for good',
    async () => {
      const dir = makeTempDir('fifo-')
      try {
        const fifo = join(dir, 'output')
        execFileSync('mkfifo', [fifo])
        const result = await e2e.run({}, { GITHUB_OUTPUT: fifo })
        expect(result.code).toBe(1)
        expect(result.ms).toBeLessThan(3000)
        expect(annotations(result)).toEqual([
          expect.stringMatching(/^Cannot write the 'token' output: GITHUB_OUTPUT names something that is not a regular file\./)
        ])
      } finally {
        removeTempDir(dir)
      }
    }
  )

  it('with GITHUB_OUTPUT naming a missing file: one error naming GITHUB_OUTPUT, and the token nowhere', async () => {
    const result = await e2e.run({}, { GITHUB_OUTPUT: join(tmpdir(), 'graph-token-action-no-such-dir', 'output') })
    expect(result.code).toBe(1)
    expect(annotations(result)).toEqual([
      expect.stringMatching(/^Cannot write the 'token' output: GITHUB_OUTPUT names a file that does not exist\./)
    ])
    expect(result.stdout).not.toMatch(/set-output/)
  })
})

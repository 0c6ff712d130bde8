import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClientCertificate, findOpenssl } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { annotations, DEMO, leaks, startE2e, summaryText } from '../helpers/e2e.js'

// What a server says, as the user reads it: secrets a gateway echoes, fields of a megabyte,
// invisible characters, hostile claims in the outputs and the job summary; and the cost of an
// encrypted key, which is the checking of an input, not the network's time.
const HOSTILE_NAME = 'Visit www.evil.example or https://evil.example/login, mail admin@evil.example, xmpp:x@evil.example'
const HOSTILE_ROLES = ['$(id)', '`id`', 'A;id', 'A|id']
const PASSWORD = 'correct horse battery staple'

type Made = ReturnType<typeof createClientCertificate>
let e2e: Awaited<ReturnType<typeof startE2e>>
let costly: Made

beforeAll(async () => {
  const dir = makeTempDir('server-text-')
  try {
    const made = createClientCertificate(dir, 'scrypt')
    // The most costly scrypt key the action accepts: N × r × p = 2^14 × 8 × 64, its own limit.
    const key = join(dir, 'key.pem')
    writeFileSync(key, made.keyPem)
    const keyPem = execFileSync(
      findOpenssl() ?? 'openssl',
      ['pkcs8', '-topk8', '-scrypt', '-scrypt_N', '16384', '-scrypt_r', '8', '-scrypt_p', '64', '-in', key, '-passout', `pass:${PASSWORD}`],
      { encoding: 'utf8' }
    )
    costly = { ...made, keyPem, pem: `${made.certPem}${keyPem}` }
  } finally {
    removeTempDir(dir)
  }
  e2e = await startE2e({
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: HOSTILE_NAME,
        secrets: [{ value: DEMO.clientSecret }],
        certificates: [costly.certPem],
        roles: ['User.Read.All', ...HOSTILE_ROLES, 'Group.Read.All']
      }
    ]
  })
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

type Respond = (req: IncomingMessage, res: ServerResponse, body: string) => void
const answer =
  (status: number, body: (request: string) => unknown): Respond =>
  (_req, res, request) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body(request)))
  }

describe('a gateway that echoes the request in its error', () => {
  // The description is cut at 2000 characters; the echoed secret starts `into` characters before.
  it.each([1, 20, 40])('shows no part of the client secret when the cut falls %i characters into it', async into => {
    const said = 'AADSTS7000215: Invalid client secret provided. The request was: '
    e2e.simulator.inject('token', {
      respond: answer(401, request => {
        const at = said.length + request.indexOf('client_secret=') + 'client_secret='.length
        return {
          error: 'invalid_client',
          error_description: `${said}${'p'.repeat(2000 - at - into)}${request} (decoded: ${DEMO.clientSecret})${' and more'.repeat(20)}`,
          error_codes: [7000215],
          trace_id: '0b3c7d4e-1111-2222-3333-444455556666',
          correlation_id: '9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff'
        }
      })
    })
    const result = await e2e.run({ 'max-attempts': '1' }, { RUNNER_DEBUG: '1' })
    expect(result.code).toBe(1)
    const [error] = annotations(result)
    expect(error).toMatch(/^Entra ID refused the token request \(AADSTS7000215, HTTP 401\): The client secret is wrong\./)
    // Redacted first, then cut: the cut falls after the secret's *** (or before it, dropping the
    // field name with it), never inside it.
    expect(error).toMatch(/\nEntra ID said: AADSTS7000215: Invalid client secret provided\. The request was: p+client_id=[^\n]*…\n/)
    // The scan finds a secret whole, in each spelling, and any ten characters of it in a row.
    expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
    expect(error).not.toContain(DEMO.clientSecret.slice(0, 5))
  })
})

describe('fields of a megabyte and invisible characters', () => {
  it('one bounded annotation, with no format character in the log', async () => {
    const field = (mark: string) => `${mark}\u202eevil\u200b\u{e0041}${'x'.repeat(190_000)}`
    e2e.simulator.inject('token', {
      respond: answer(400, () => ({
        error: field('invalid_request'),
        error_description: `AADSTS9999999: Something\u202e new\u2066 ${'word '.repeat(40_000)}`,
        error_codes: [9999999],
        trace_id: field('trace'),
        correlation_id: field('correlation'),
        timestamp: field('time')
      }))
    })
    const result = await e2e.run({ 'max-attempts': '1' })
    expect(result.code).toBe(1)
    const errors = annotations(result)
    expect(errors).toHaveLength(1)
    expect(errors[0].length).toBeLessThan(4000)
    expect(errors[0]).toMatch(
      /^Entra ID refused the token request \(AADSTS9999999, HTTP 400\): AADSTS9999999: Something\ufffd new\ufffd (word )+word…/
    )
    expect(errors[0]).toContain('\nTrace ID: trace\ufffdevil\ufffd\ufffd…\n')
    expect(result.stdout).not.toMatch(/[\p{Cf}\u{e0000}-\u{e007f}]/u)
  })
})

describe('a resource app whose claims would inject', () => {
  it('the roles output keeps only shell-inert values, and no claim becomes a link in the summary', async () => {
    const result = await e2e.run({ 'job-summary': 'true' }, { RUNNER_DEBUG: '1' })
    expect(result.code).toBe(0)
    expect(result.outputs.roles).toBe('User.Read.All,Group.Read.All')
    const debug = result.stdout.split('\n').filter(l => l.startsWith('::debug::') && l.includes('not safe in a shell'))
    expect(debug).toHaveLength(HOSTILE_ROLES.length)
    const app = result.summary.split('\n').find(l => l.startsWith('| App |'))!
    // GitHub's Markdown autolinks `www.`, `scheme:` and `name@domain.tld` (GFM spec, "Autolinks
    // (extension)"): none of the characters that start one is left as it is.
    expect(app).not.toMatch(/www\.|[:@.]/)
    expect(summaryText(app)).toBe(`| App | ${HOSTILE_NAME} (${DEMO.clientId}) |`)
    expect(summaryText(result.summary)).toContain('| Roles | User.Read.All, Group.Read.All |')
  })
})

describe('a costly encrypted key', () => {
  it('is decrypted before the deadline starts: with timeout-seconds 1, the token', async () => {
    const result = await e2e.run({
      'client-secret': '',
      'client-certificate': costly.pem,
      'client-certificate-password': PASSWORD,
      'timeout-seconds': '1'
    })
    expect(annotations(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.outputs.token).toBeTruthy()
    expect(leaks(result, { key: costly.keyPem, password: PASSWORD })).toEqual([])
  })

  it('with a wrong password: the password is named, not the network, and nothing is sent', async () => {
    const result = await e2e.run({
      'client-secret': '',
      'client-certificate': costly.pem,
      'client-certificate-password': 'wrong horse',
      'timeout-seconds': '1'
    })
    expect(result.code).toBe(1)
    expect(annotations(result)).toEqual([
      "'client-certificate-password' does not decrypt the private key in 'client-certificate'. Use the passphrase the key was exported with."
    ])
    expect(e2e.simulator.requests).toHaveLength(0)
    // Two derivations of a second or so each, before the deadline: generous, never the deadline's.
    expect(result.ms).toBeLessThan(30_000)
    expect(leaks(result, { key: costly.keyPem, password: PASSWORD })).toEqual([])
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClientCertificate, findOpenssl } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { annotations, DEMO, leaks, masks, startE2e } from '../helpers/e2e.js'

type Made = ReturnType<typeof createClientCertificate>
let e2e: Awaited<ReturnType<typeof startE2e>>
let plain: Made, encrypted: Made, pkcs1: Made, legacy: Made, ca: Made, leaf: Made, unregistered: Made, expired: Made
/** A .pfx (PKCS#12) file's bytes as a secret would hold them: text, without the NULs no input can carry. */
let pfxText: string
const PASSWORD = 'p@ss word%0A;'

beforeAll(async () => {
  const dir = makeTempDir('cert-e2e-')
  try {
    plain = createClientCertificate(dir, 'plain', { subject: '/CN=release-bot' })
    encrypted = createClientCertificate(dir, 'encrypted', { keyFormat: 'encrypted', password: PASSWORD })
    pkcs1 = createClientCertificate(dir, 'pkcs1', { keyFormat: 'pkcs1' })
    legacy = createClientCertificate(dir, 'legacy', { keyFormat: 'encrypted-pkcs1', password: PASSWORD })
    ca = createClientCertificate(dir, 'ca', { subject: '/CN=Issuing CA' })
    leaf = createClientCertificate(dir, 'leaf', { issuer: ca, subject: '/CN=leaf' })
    unregistered = createClientCertificate(dir, 'unregistered', { subject: '/CN=not-uploaded' })
    expired = createClientCertificate(dir, 'expired', { validFromDays: -400, days: -30 })
    const pfx = join(dir, 'plain.pfx')
    execFileSync(findOpenssl()!, ['pkcs12', '-export', '-in', plain.certPath, '-inkey', plain.keyPath, '-out', pfx, '-passout', 'pass:'])
    pfxText = readFileSync(pfx, 'latin1').replace(/\0/g, '')
  } finally {
    removeTempDir(dir)
  }
  e2e = await startE2e({
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: DEMO.appName,
        certificates: [plain, encrypted, pkcs1, legacy, leaf].map(c => c.certPem),
        roles: ['Sites.Read.All']
      }
    ]
  })
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

/** Everything secret about a certificate input: the whole PEM (its key lines are checked one by one). */
const secretsOf = (made: Made, extra: Record<string, string> = {}) => ({ key: made.keyPem, ...extra })

describe.each<[string, () => Made, string]>([
  ['a PKCS#8 key', () => plain, ''],
  ['an encrypted PKCS#8 key with its password', () => encrypted, PASSWORD],
  ['a PKCS#1 key with CRLF line endings', () => ({ ...pkcs1, pem: pkcs1.pem.replace(/\n/g, '\r\n') }), ''],
  ['a legacy encrypted PKCS#1 key (Proc-Type, DEK-Info) with its password', () => legacy, PASSWORD],
  ['a chain with the CA first', () => ({ ...leaf, pem: `${ca.certPem}${leaf.certPem}${leaf.keyPem}` }), '']
])('a certificate with %s', (_, made, password) => {
  it('gets a token with a signed assertion and no secret, and prints no key material', async () => {
    const certificate = made()
    const result = await e2e.run(
      { 'client-secret': '', 'client-certificate': certificate.pem, 'client-certificate-password': password },
      { RUNNER_DEBUG: '1' }
    )
    expect(result.code).toBe(0)
    const [request] = e2e.simulator.requests
    expect(request.form).toMatchObject({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })
    expect(request.form).not.toHaveProperty('client_secret')
    expect(result.outputs.roles).toBe('Sites.Read.All')
    const assertion = request.form!.client_assertion
    expect(masks(result)).toContain(assertion)
    expect(leaks(result, secretsOf(certificate, { assertion, password, token: result.outputs.token }))).toEqual([])
  })
})

it('warns that a password given for a key that is not encrypted was not used, and goes on', async () => {
  const result = await e2e.run({ 'client-secret': '', 'client-certificate': plain.pem, 'client-certificate-password': PASSWORD })
  expect(result.code).toBe(0)
  expect(annotations(result, 'warning')).toEqual([
    expect.stringMatching(/'client-certificate-password' is set, but the private key .* is not encrypted/)
  ])
  expect(leaks(result, secretsOf(plain, { password: PASSWORD, token: result.outputs.token }))).toEqual([])
})

it('sends a new assertion when it retries', async () => {
  e2e.simulator.inject('token', { status: 503, body: '<html/>', contentType: 'text/html' })
  const result = await e2e.run({ 'client-secret': '', 'client-certificate': plain.pem })
  expect(result.code).toBe(0)
  const [first, second] = e2e.simulator.requests.map(r => r.form!.client_assertion)
  expect(first).not.toBe(second)
})

it('explains a certificate not uploaded to the app, showing subject, thumbprints and validity', async () => {
  const result = await e2e.run({ 'client-secret': '', 'client-certificate': unregistered.pem })
  expect(result.code).toBe(1)
  const x509 = new X509Certificate(unregistered.certPem)
  const [error] = annotations(result)
  expect(error).toMatch(
    /^Entra ID refused the token request \(AADSTS700027, HTTP 401\): The client assertion's signature was not accepted\. Upload this certificate's public part/
  )
  expect(error).toContain('Certificate presented: CN=not-uploaded')
  expect(error).toContain(x509.fingerprint.replaceAll(':', ''))
  expect(error).toContain(`Valid from ${new Date(x509.validFrom).toISOString()}`)
  expect(leaks(result, secretsOf(unregistered, { assertion: e2e.simulator.requests[0].form!.client_assertion }))).toEqual([])
})

describe.each<[string, () => Record<string, string>, string, RegExp]>([
  [
    'a key that does not match the certificate',
    () => ({ 'client-certificate': `${plain.certPem}${unregistered.keyPem}` }),
    'client-certificate',
    /does not match the certificate/
  ],
  ['an expired certificate', () => ({ 'client-certificate': expired.pem }), 'client-certificate', /expired on \d{4}-\d\d-\d\dT/],
  [
    'an encrypted key without its password',
    () => ({ 'client-certificate': encrypted.pem }),
    'client-certificate-password',
    /is encrypted, and 'client-certificate-password' is empty/
  ],
  [
    'an encrypted key with a wrong password',
    () => ({ 'client-certificate': encrypted.pem, 'client-certificate-password': 'nope' }),
    'client-certificate-password',
    /does not decrypt/
  ],
  [
    'a legacy encrypted PKCS#1 key with a wrong password',
    () => ({ 'client-certificate': legacy.pem, 'client-certificate-password': 'nope' }),
    'client-certificate-password',
    /does not decrypt/
  ],
  ['text that is not PEM', () => ({ 'client-certificate': 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }), 'client-certificate', /is not PEM text/],
  [
    "a .pfx file's bytes",
    () => ({ 'client-certificate': pfxText }),
    'client-certificate',
    /^'client-certificate' is not PEM text: no -----BEGIN \.\.\.----- block found\. .*for a \.pfx: openssl pkcs12 -in cert\.pfx -nodes -out cert\.pem/
  ]
])('%s', (_, inputs, input, message) => {
  it(`fails before any request, naming '${input}'`, async () => {
    const given = inputs()
    const result = await e2e.run({ 'client-secret': '', ...given })
    expect(result.code).toBe(1)
    expect(e2e.simulator.requests).toHaveLength(0)
    const [error] = annotations(result)
    expect(error).toContain(`'${input}'`)
    expect(error).toMatch(message)
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
    expect(leaks(result, { pem: given['client-certificate'], password: given['client-certificate-password'] })).toEqual([])
  })
})

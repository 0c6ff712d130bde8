import { beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { constants, createHash, createPrivateKey, verify, X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { certificateCredential, loadCertificate } from '../../src/credentials/certificate.js'
import { JWT_BEARER } from '../../src/credentials/credential.js'
import { ActionError } from '../../src/errors.js'
import { parsePemBlocks, privateKeyLines } from '../../src/pem.js'
import { createClientCertificate, findOpenssl } from '../../scripts/certificates.mjs'
import { keyDerivation } from '../../src/pkcs8.js'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { CLIENT, fakeIo, START } from '../helpers/fake-io.js'

type Made = ReturnType<typeof createClientCertificate>
let plain: Made,
  other: Made,
  pkcs1: Made,
  encrypted: Made,
  ec: Made,
  weak: Made,
  ca: Made,
  leaf: Made,
  expired: Made,
  future: Made,
  soon: Made
// The fake clock's instant: every certificate below is made valid (or not) relative to it.
const NOW = START
const at = (days: number) => new Date(NOW + days * 86_400_000).toISOString()

beforeAll(() => {
  const dir = makeTempDir('cert-unit-')
  try {
    plain = createClientCertificate(dir, 'plain', { now: NOW, subject: '/CN=graph-token-action test' })
    other = createClientCertificate(dir, 'other', { now: NOW })
    pkcs1 = createClientCertificate(dir, 'pkcs1', { now: NOW, keyFormat: 'pkcs1' })
    encrypted = createClientCertificate(dir, 'encrypted', { now: NOW, keyFormat: 'encrypted', password: 'correct horse' })
    ec = createClientCertificate(dir, 'ec', { now: NOW, type: 'ec' })
    weak = createClientCertificate(dir, 'weak', { now: NOW, bits: 1024 })
    ca = createClientCertificate(dir, 'ca', { now: NOW, subject: '/CN=Test Issuing CA' })
    leaf = createClientCertificate(dir, 'leaf', { now: NOW, issuer: ca, subject: '/CN=leaf' })
    expired = createClientCertificate(dir, 'expired', { now: NOW, validFromDays: -400, days: -30 })
    future = createClientCertificate(dir, 'future', { now: NOW, validFromDays: 365, days: 730 })
    soon = createClientCertificate(dir, 'soon', { now: NOW, days: 10 })
  } finally {
    removeTempDir(dir)
  }
})

function failure(pem: string, password = ''): ActionError {
  try {
    loadCertificate(pem, password, NOW)
  } catch (error) {
    if (error instanceof ActionError) return error
    throw error
  }
  throw new Error('expected an ActionError')
}

describe('loadCertificate accepts', () => {
  it('a PKCS#8 key after the certificate, and reports subject, thumbprints and validity', () => {
    const info = loadCertificate(plain.pem, '', NOW)
    const x509 = new X509Certificate(plain.certPem)
    expect(info.subject).toBe('CN=graph-token-action test')
    expect(info.thumbprintSha256).toBe(createHash('sha256').update(x509.raw).digest('base64url'))
    expect(info.thumbprintSha1).toBe(x509.fingerprint.replaceAll(':', ''))
    expect(info.validTo.getTime()).toBe(Date.parse(x509.validTo))
  })

  it('the key before the certificate, CRLF line endings and surrounding white space', () => {
    const pem = `\n  ${plain.keyPem}\n${plain.certPem}  \n`.replace(/\n/g, '\r\n')
    expect(loadCertificate(pem, '', NOW).thumbprintSha256).toBe(loadCertificate(plain.pem, '', NOW).thumbprintSha256)
  })

  it('a PKCS#1 key', () => {
    expect(pkcs1.keyPem).toContain('BEGIN RSA PRIVATE KEY')
    expect(loadCertificate(pkcs1.pem, '', NOW).key.asymmetricKeyType).toBe('rsa')
  })

  it('an encrypted PKCS#8 key with its password', () => {
    expect(encrypted.keyPem).toContain('BEGIN ENCRYPTED PRIVATE KEY')
    expect(loadCertificate(encrypted.pem, 'correct horse', NOW).subject).toBe('CN=encrypted')
  })

  it('a chain in any order, using the certificate that matches the key', () => {
    const pem = `${ca.certPem}${leaf.keyPem}${leaf.certPem}`
    expect(loadCertificate(pem, '', NOW).subject).toBe('CN=leaf')
  })
})

describe('loadCertificate rejects, naming the input', () => {
  it.each<[string, () => string, string, RegExp]>([
    ['text that is not PEM', () => 'not a certificate', 'client-certificate', /not PEM text/],
    ['a certificate without its key', () => plain.certPem, 'client-certificate', /has no private key/],
    ['a key without its certificate', () => plain.keyPem, 'client-certificate', /no certificate/],
    [
      'a key that belongs to another certificate',
      () => `${other.certPem}${plain.keyPem}`,
      'client-certificate',
      /does not match the certificate \(CN=other\)/
    ],
    ['an EC key', () => ec.pem, 'client-certificate', /is EC; Entra ID accepts only RSA/],
    ['an RSA key under 2048 bits', () => weak.pem, 'client-certificate', /has 1024 bits; Entra ID needs at least 2048/],
    [
      'an encrypted key without a password',
      () => encrypted.pem,
      'client-certificate-password',
      /encrypted, and 'client-certificate-password' is empty/
    ]
  ])('%s', (_, pem, input, message) => {
    const error = failure(pem())
    expect(error.input).toBe(input)
    expect(error.render()).toMatch(message)
  })

  it('an encrypted key with a wrong password', () => {
    const error = failure(encrypted.pem, 'wrong')
    expect(error.input).toBe('client-certificate-password')
    expect(error.message).toMatch(/does not decrypt/)
  })

  it('an expired certificate, giving the date', () => {
    expect(failure(expired.pem).message).toContain(`(CN=expired) expired on ${at(-30)}`)
  })

  it('a certificate not valid yet, giving the date', () => {
    expect(failure(future.pem).message).toContain(`is not valid before ${at(365)}`)
  })

  it('never with key material in the message', () => {
    const lines = privateKeyLines(plain.pem)
    expect(lines.length).toBeGreaterThan(20)
    const text = [failure(`${other.certPem}${plain.keyPem}`), failure(plain.keyPem)].map(e => e.render()).join('\n')
    for (const line of lines) expect(text).not.toContain(line)
  })
})

describe('certificateCredential', () => {
  const tokenUrl = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token'

  it('signs a PS256 client assertion with x5t#S256 and the claims Entra ID expects, verifiable with the certificate', async () => {
    const io = fakeIo()
    const info = loadCertificate(plain.pem, '', NOW)
    const fields = await certificateCredential(info, CLIENT, io).authenticate({ tokenUrl, signal: new AbortController().signal })
    expect(fields.client_assertion_type).toBe(JWT_BEARER)
    const [h, p, s] = fields.client_assertion.split('.')
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    expect(header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': info.thumbprintSha256 })
    const now = Math.floor(START / 1000)
    expect(claims).toEqual({
      aud: tokenUrl,
      iss: CLIENT,
      sub: CLIENT,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      nbf: now,
      iat: now,
      exp: now + 600
    })
    const publicKey = new X509Certificate(plain.certPem).publicKey
    const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    expect(verify('sha256', Buffer.from(`${h}.${p}`), pss, Buffer.from(s, 'base64url'))).toBe(true)
    // The salt is the digest length (32 bytes), not Node's default maximum.
    expect(verify('sha256', Buffer.from(`${h}.${p}`), { ...pss, saltLength: 32 }, Buffer.from(s, 'base64url'))).toBe(true)
    expect(io.masks).toEqual([fields.client_assertion])
  })

  it('makes a new assertion with a fresh jti for every attempt', async () => {
    const io = fakeIo()
    const credential = certificateCredential(loadCertificate(plain.pem, '', NOW), CLIENT, io)
    const signal = new AbortController().signal
    const a = await credential.authenticate({ tokenUrl, signal })
    const b = await credential.authenticate({ tokenUrl, signal })
    const jti = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti
    expect(jti(a.client_assertion)).not.toBe(jti(b.client_assertion))
  })

  it('warns when the certificate expires within 30 days, with the date', () => {
    const io = fakeIo()
    const info = loadCertificate(soon.pem, '', NOW)
    certificateCredential(info, CLIENT, { ...io, now: () => NOW })
    expect(io.logs).toEqual([
      { level: 'warning', message: expect.stringMatching(new RegExp(`expires on ${info.validTo.toISOString()}, in 10 days`)) }
    ])
    const quiet = fakeIo()
    certificateCredential(loadCertificate(plain.pem, '', NOW), CLIENT, { ...quiet, now: () => NOW })
    expect(quiet.logs).toEqual([])
  })

  it('describes the certificate presented when Entra ID rejects it', () => {
    const info = loadCertificate(plain.pem, '', NOW)
    const notes = certificateCredential(info, CLIENT, fakeIo()).notesOnRejection(700027)
    expect(notes.details.join('\n')).toContain(`Certificate presented: CN=graph-token-action test`)
    expect(notes.details.join('\n')).toContain(info.thumbprintSha1)
    expect(notes.details.join('\n')).toContain(info.thumbprintSha256)
  })
})

describe('privateKeyLines', () => {
  it('lists the base64 lines of the key, not the certificate or the armour', () => {
    const lines = privateKeyLines(encrypted.pem.replace(/\n/g, '\r\n'))
    const body = encrypted.keyPem.split('\n').filter(l => l && !l.startsWith('-----') && l.length >= 8)
    expect(lines).toEqual(body)
    for (const line of new X509Certificate(encrypted.certPem).toString().split('\n')) expect(lines).not.toContain(line)
  })
})

describe('parsePemBlocks', () => {
  it('finds the blocks in any order, with indentation, CRLF and text around them', () => {
    const text = `Bag Attributes\r\n  ${plain.keyPem.trim().replace(/\n/g, '\r\n  ')}\r\nsubject=CN=x\n${plain.certPem}trailer`
    expect(parsePemBlocks(text).map(b => [b.label, b.text])).toEqual([
      ['PRIVATE KEY', plain.keyPem],
      ['CERTIFICATE', plain.certPem]
    ])
  })

  it('reads a megabyte of BEGIN lines without an END in time linear in its size, and finds the block after them', () => {
    // A search from each BEGIN for its END took 1.4 s for 128,000 characters, and four times that
    // for twice as many: a megabyte took over a minute. A line scan takes milliseconds.
    const malformed = '-----BEGIN PRIVATE KEY-----\nAAAA\n'.repeat((1024 * 1024) / 32)
    const started = performance.now()
    const blocks = parsePemBlocks(`${malformed}${plain.certPem}`)
    expect(performance.now() - started).toBeLessThan(2000)
    expect(blocks.map(b => [b.label, b.text])).toEqual([['CERTIFICATE', plain.certPem]])
    expect(privateKeyLines(malformed)).toEqual([])
  })

  it('starts over at a BEGIN inside an open block, and ends a block only at the END of its own label', () => {
    const body = plain.certPem.split('\n').slice(1, -2).join('\n')
    const text = `-----BEGIN PRIVATE KEY-----\nAAAA\n${plain.certPem.replace('-----END CERTIFICATE-----', '-----END X509 CRL-----\n-----END CERTIFICATE-----')}`
    expect(parsePemBlocks(text)).toEqual([
      { label: 'CERTIFICATE', text: `-----BEGIN CERTIFICATE-----\n${body}\n-----END X509 CRL-----\n-----END CERTIFICATE-----\n` }
    ])
  })
})

describe('the cost of decrypting an encrypted key', () => {
  /** The key re-encrypted by openssl with the given pkcs8 options. */
  function reencrypt(options: string[]): string {
    const dir = makeTempDir('kdf-')
    try {
      const key = join(dir, 'key.pem')
      writeFileSync(key, createPrivateKey({ key: encrypted.keyPem, passphrase: 'correct horse' }).export({ type: 'pkcs8', format: 'pem' }))
      return execFileSync(findOpenssl() ?? 'openssl', ['pkcs8', '-topk8', ...options, '-in', key, '-passout', 'pass:correct horse'], {
        encoding: 'utf8'
      })
    } finally {
      removeTempDir(dir)
    }
  }
  const derOf = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')

  it('reads the PBKDF2 iteration count and the scrypt parameters from the DER', () => {
    expect(keyDerivation(derOf(reencrypt(['-v2', 'aes-256-cbc', '-iter', '4096'])))).toEqual({ kdf: 'pbkdf2', iterations: 4096 })
    expect(keyDerivation(derOf(reencrypt(['-scrypt', '-scrypt_N', '1024', '-scrypt_r', '8', '-scrypt_p', '1'])))).toEqual({
      kdf: 'scrypt',
      cost: 1024,
      blockSize: 8,
      parallelization: 1
    })
    expect(keyDerivation(Buffer.from('not DER'))).toBeUndefined()
  })

  it('refuses a key whose PBKDF2 iterations would stall the step, before decrypting it', () => {
    const costly = reencrypt(['-v2', 'aes-256-cbc', '-iter', '2500000'])
    const started = Date.now()
    const error = failure(`${encrypted.certPem}${costly}`, 'correct horse')
    expect(Date.now() - started).toBeLessThan(200)
    expect(error.input).toBe('client-certificate')
    expect(error.message).toMatch(/encrypted with 2500000 PBKDF2 iterations \(at most 2000000 are read\)/)
  })

  it.each([
    ['scrypt with a large p', ['-scrypt', '-scrypt_N', '16384', '-scrypt_r', '8', '-scrypt_p', '400'], /scrypt with N=16384, r=8, p=400/],
    ['PBES1 with many iterations', ['-v1', 'PBE-SHA1-3DES', '-iter', '2500000'], /2500000 PBES1 iterations/]
  ])('refuses %s before decrypting it', (_, options, message) => {
    const error = failure(`${encrypted.certPem}${reencrypt(options)}`, 'correct horse')
    expect(error.message).toMatch(message)
  })

  it('refuses an encrypted key whose key derivation cannot be read', () => {
    const broken = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${Buffer.from('not DER at all').toString('base64')}\n-----END ENCRYPTED PRIVATE KEY-----\n`
    expect(failure(`${encrypted.certPem}${broken}`, 'correct horse').message).toMatch(/a key derivation that cannot be read/)
  })

  it('still reads a key with a usual iteration count', () => {
    const usual = reencrypt(['-v2', 'aes-256-cbc', '-iter', '600000'])
    expect(loadCertificate(`${encrypted.certPem}${usual}`, 'correct horse', NOW).subject).toBeTruthy()
  })
})

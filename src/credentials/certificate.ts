import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { invalidInput } from '../errors.js'
import type { Clock, Io } from '../io.js'
import { sha256Thumbprint, signPs256 } from '../jwt.js'
import { parsePemBlocks } from '../pem.js'
import { keyDerivation } from '../pkcs8.js'
import { JWT_BEARER, type Credential } from './credential.js'

// Entra ID accepts RSA keys of 2048 bits or more for certificate credentials (AADSTS50032).
const MIN_RSA_BITS = 2048
const EXPIRY_WARNING_DAYS = 30
// "5-10 minutes after nbf at most" (learn.microsoft.com, certificate credentials).
const ASSERTION_LIFETIME_S = 600
// A certificate made minutes ago on a machine whose clock runs ahead is still usable.
const CLOCK_SKEW_MS = 5 * 60_000

/** The certificate that will be presented, as the user compares it with the app registration. */
export interface CertificateInfo {
  subject: string
  /** base64url SHA-256 of the DER: the assertion's x5t#S256. */
  thumbprintSha256: string
  /** Hex SHA-1, the Thumbprint column of the portal. */
  thumbprintSha1: string
  validFrom: Date
  validTo: Date
  key: KeyObject
  /** A password was given, but the key is not encrypted: maybe the wrong secret was wired in. */
  passwordUnused: boolean
}

/**
 * Reads the PEM text of 'client-certificate': the blocks in any order, a chain (the certificate
 * whose public key matches the private key is the one used), PKCS#8, PKCS#1 or encrypted PKCS#8.
 * Every failure names the input and is detected here, before any request.
 */
export function loadCertificate(pem: string, password: string, now: number): CertificateInfo {
  const blocks = parsePemBlocks(pem)
  if (blocks.length === 0) {
    throw invalidInput(
      'client-certificate',
      "'client-certificate' is not PEM text: no -----BEGIN ...----- block found.",
      'Give the certificate and its private key as PEM (for a .pfx: openssl pkcs12 -in cert.pfx -nodes -out cert.pem), the whole file including the BEGIN and END lines.'
    )
  }
  const keyBlocks = blocks.filter(b => b.label.endsWith('PRIVATE KEY'))
  const certBlocks = blocks.filter(b => b.label === 'CERTIFICATE')
  if (keyBlocks.length === 0) {
    throw invalidInput(
      'client-certificate',
      "'client-certificate' has no private key.",
      'Put the private key (-----BEGIN PRIVATE KEY-----) in the same secret as the certificate; the key signs the assertion and never leaves the runner.'
    )
  }
  if (keyBlocks.length > 1) {
    throw invalidInput(
      'client-certificate',
      "'client-certificate' has more than one private key.",
      'Keep only the key of the certificate registered on the app.'
    )
  }
  if (certBlocks.length === 0) {
    throw invalidInput(
      'client-certificate',
      "'client-certificate' has a private key but no certificate.",
      'Add the certificate (-----BEGIN CERTIFICATE-----) whose public part is uploaded to the app registration: Entra ID finds it by its thumbprint.'
    )
  }

  const { key, encrypted } = readPrivateKey(keyBlocks[0].text, keyBlocks[0].label, password)
  const certificates = certBlocks.map(block => {
    try {
      return new X509Certificate(block.text)
    } catch {
      throw invalidInput(
        'client-certificate',
        "'client-certificate' has a CERTIFICATE block that cannot be read.",
        'Export the certificate again as PEM.'
      )
    }
  })
  const certificate = certificates.find(c => c.checkPrivateKey(key))
  if (!certificate) {
    const subjects = certificates.map(c => oneLine(c.subject)).join('; ')
    throw invalidInput(
      'client-certificate',
      `The private key in 'client-certificate' does not match ${certificates.length === 1 ? 'the certificate' : 'any of its certificates'} (${subjects}).`,
      'Put the certificate and the key that were created together into the secret.'
    )
  }

  const info: CertificateInfo = {
    subject: oneLine(certificate.subject),
    thumbprintSha256: sha256Thumbprint(certificate.raw),
    thumbprintSha1: certificate.fingerprint.replaceAll(':', ''),
    validFrom: new Date(certificate.validFrom),
    validTo: new Date(certificate.validTo),
    key,
    passwordUnused: Boolean(password) && !encrypted
  }
  if (now > info.validTo.getTime()) {
    throw invalidInput(
      'client-certificate',
      `The certificate in 'client-certificate' (${info.subject}) expired on ${info.validTo.toISOString()}.`,
      'Create a new certificate, upload its public part to the app registration and update the secret.'
    )
  }
  if (now + CLOCK_SKEW_MS < info.validFrom.getTime()) {
    throw invalidInput(
      'client-certificate',
      `The certificate in 'client-certificate' (${info.subject}) is not valid before ${info.validFrom.toISOString()}.`,
      "Wait until then, or check the runner's clock."
    )
  }
  return info
}

function readPrivateKey(text: string, label: string, password: string): { key: KeyObject; encrypted: boolean } {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || text.includes('Proc-Type: 4,ENCRYPTED')
  if (encrypted && !password) {
    throw invalidInput(
      'client-certificate-password',
      "The private key in 'client-certificate' is encrypted, and 'client-certificate-password' is empty.",
      'Set client-certificate-password to its passphrase (from a secret); if it comes from a secret, check that the secret exists.'
    )
  }
  // An encrypted PKCS#8 key is given to node:crypto as DER: from PEM, OpenSSL tries more than one
  // decoder, and a wrong password costs a key derivation for each.
  const der = label === 'ENCRYPTED PRIVATE KEY' ? checkDerivationCost(text) : undefined
  let key: KeyObject
  try {
    key = der
      ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: password })
      : createPrivateKey({ key: text, format: 'pem', passphrase: encrypted ? password : undefined })
  } catch {
    throw encrypted
      ? invalidInput(
          'client-certificate-password',
          "'client-certificate-password' does not decrypt the private key in 'client-certificate'.",
          'Use the passphrase the key was exported with.'
        )
      : invalidInput(
          'client-certificate',
          "The private key in 'client-certificate' cannot be read.",
          'Export it again as PEM (PKCS#8 or PKCS#1).'
        )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (key.asymmetricKeyType !== 'rsa') {
    throw invalidInput(
      'client-certificate',
      `The private key in 'client-certificate' is ${key.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type'}; Entra ID accepts only RSA keys for certificate credentials.`,
      `Create an RSA certificate of ${MIN_RSA_BITS} bits or more (openssl req -x509 -newkey rsa:${MIN_RSA_BITS} ...).`
    )
  }
  if (bits < MIN_RSA_BITS) {
    throw invalidInput(
      'client-certificate',
      `The RSA key in 'client-certificate' has ${bits} bits; Entra ID needs at least ${MIN_RSA_BITS}.`,
      `Create a new certificate with a ${MIN_RSA_BITS}-bit or larger key.`
    )
  }
  return { key, encrypted }
}

// Far above what tools write (OpenSSL 2,048 PBKDF2 iterations; OWASP's 2023 advice 600,000), and
// about a second of work here: derivation is synchronous and nothing can cut it off, so it runs
// before the deadline starts (run.ts), and this bounds how long checking the input can take.
const MAX_PBKDF2_ITERATIONS = 2_000_000
const MAX_SCRYPT_WORK = 2 ** 20 * 8 // N × r × p: OpenSSL's default is 2^14 × 8 × 1

/** The DER of an encrypted PKCS#8 key, refused when its key derivation would stall the step (see pkcs8.ts). */
function checkDerivationCost(text: string): Buffer {
  const der = Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const derivation = keyDerivation(der)
  const tooCostly = !derivation
    ? 'a key derivation that cannot be read from its DER'
    : derivation.kdf === 'scrypt'
      ? !(derivation.cost * derivation.blockSize * derivation.parallelization <= MAX_SCRYPT_WORK) &&
        `scrypt with N=${derivation.cost}, r=${derivation.blockSize}, p=${derivation.parallelization} (N × r × p at most ${MAX_SCRYPT_WORK})`
      : !(derivation.iterations <= MAX_PBKDF2_ITERATIONS) &&
        `${derivation.iterations} ${derivation.kdf === 'pbkdf2' ? 'PBKDF2' : 'PBES1'} iterations (at most ${MAX_PBKDF2_ITERATIONS} are read)`
  if (tooCostly) {
    throw invalidInput(
      'client-certificate',
      `The private key in 'client-certificate' is encrypted with ${tooCostly}, which could take minutes to decrypt.`,
      'Export it again with the usual settings: openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out encrypted.pem.'
    )
  }
  return der
}

/** Subject lines of an X.509 name joined into one, for a one-line message. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ')
}

export function describeCertificate(info: CertificateInfo): string[] {
  return [
    `Certificate presented: ${info.subject}`,
    `  SHA-1 thumbprint (the portal's Thumbprint column): ${info.thumbprintSha1}`,
    `  SHA-256 thumbprint (x5t#S256): ${info.thumbprintSha256}`,
    `  Valid from ${info.validFrom.toISOString()} to ${info.validTo.toISOString()}`
  ]
}

/**
 * Certificate credential: a client assertion (RFC 7523) signed with the private key, a new one
 * for every attempt, per learn.microsoft.com "Microsoft identity platform certificate credentials".
 */
export function certificateCredential(
  info: CertificateInfo,
  clientId: string,
  io: Pick<Io, 'mask' | 'uuid' | 'log'> & Pick<Clock, 'now'>
): Credential {
  if (info.passwordUnused) {
    io.log.warning(
      "'client-certificate-password' is set, but the private key in 'client-certificate' is not encrypted, so it was not used: check that the right secrets are wired to these inputs."
    )
  }
  const daysLeft = (info.validTo.getTime() - io.now()) / 86_400_000
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    io.log.warning(
      `The certificate in 'client-certificate' (${info.subject}) expires on ${info.validTo.toISOString()}, in ${Math.floor(daysLeft)} days: create a new one, upload it to the app registration and update the secret before then.`
    )
  }
  return {
    label: 'a certificate',
    async authenticate({ tokenUrl }) {
      const now = Math.floor(io.now() / 1000)
      const assertion = signPs256(
        { 'x5t#S256': info.thumbprintSha256 },
        { aud: tokenUrl, iss: clientId, sub: clientId, jti: io.uuid(), nbf: now, iat: now, exp: now + ASSERTION_LIFETIME_S },
        info.key
      )
      io.mask(assertion)
      return { client_assertion_type: JWT_BEARER, client_assertion: assertion }
    },
    notesOnRejection: () => ({ details: describeCertificate(info) })
  }
}

// Throw-away certificates for the local Entra ID simulator, the tests and the benchmark, made with
// the openssl command line (Node's crypto can make keys but not X.509 certificates). Nothing made
// here is ever committed.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const openssl = (args, cwd) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })

export function makeTempDir(prefix = 'graph-token-') {
  return mkdtempSync(join(tmpdir(), prefix))
}

function newKey(dir, name, { type = 'rsa', bits = 2048 } = {}) {
  const path = join(dir, `${name}.key`)
  if (type === 'ec') openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path])
  else openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', path])
  return path
}

/**
 * A CA and a server certificate for 127.0.0.1, localhost and the given extra host names.
 * Returns the paths and PEM texts; pass caPath as NODE_EXTRA_CA_CERTS to trust the server.
 */
export function createServerTls(dir, extraNames = []) {
  const caKey = newKey(dir, 'ca')
  const caPath = join(dir, 'ca.pem')
  openssl(['req', '-x509', '-key', caKey, '-out', caPath, '-days', '2', '-subj', '/CN=graph-token-action test CA'])
  const key = newKey(dir, 'server')
  const csr = join(dir, 'server.csr')
  const cert = join(dir, 'server.pem')
  openssl(['req', '-new', '-key', key, '-out', csr, '-subj', '/CN=127.0.0.1'])
  const ext = join(dir, 'server.ext')
  const names = ['IP:127.0.0.1', 'DNS:localhost', ...extraNames.map(n => `DNS:${n}`)]
  writeFileSync(ext, `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\n`)
  openssl(['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext])
  return { caPath, ca: readFileSync(caPath, 'utf8'), key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
}

/**
 * A client certificate and its key, as a user would store them in one secret.
 * options: subject, type ('rsa' | 'ec'), bits, days, notBefore/notAfter ('YYYYMMDDHHMMSSZ'),
 * keyFormat ('pkcs8' | 'pkcs1' | 'encrypted' | 'encrypted-pkcs1': legacy Proc-Type/DEK-Info PEM), password, issuer (another result, to make a chain).
 */
export function createClientCertificate(dir, name, options = {}) {
  const { subject = `/CN=${name}`, type, bits, days = 365, notBefore, notAfter, keyFormat = 'pkcs8', password, issuer } = options
  const keyPath = newKey(dir, name, { type, bits })
  const certPath = join(dir, `${name}.crt`)
  if (notBefore || notAfter) {
    // Only `openssl ca` can set arbitrary dates with OpenSSL 3.0.
    const csr = join(dir, `${name}.csr`)
    openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', subject])
    const db = makeTempDir('ca-db-')
    writeFileSync(join(db, 'index.txt'), '')
    writeFileSync(join(db, 'serial'), '01\n')
    writeFileSync(
      join(db, 'ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`
    )
    openssl([
      'ca',
      '-batch',
      '-config',
      join(db, 'ca.cnf'),
      '-selfsign',
      '-keyfile',
      keyPath,
      '-in',
      csr,
      '-startdate',
      notBefore,
      '-enddate',
      notAfter,
      '-out',
      certPath,
      '-notext'
    ])
  } else if (issuer) {
    const csr = join(dir, `${name}.csr`)
    openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', subject])
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      issuer.certPath,
      '-CAkey',
      issuer.keyPath,
      '-CAcreateserial',
      '-out',
      certPath,
      '-days',
      String(days)
    ])
  } else {
    openssl(['req', '-x509', '-key', keyPath, '-out', certPath, '-days', String(days), '-subj', subject])
  }
  let keyPem = readFileSync(keyPath, 'utf8')
  if (keyFormat === 'pkcs1') keyPem = openssl(['rsa', '-in', keyPath, '-traditional']).toString()
  if (keyFormat === 'encrypted-pkcs1') {
    keyPem = openssl(['rsa', '-in', keyPath, '-aes256', '-traditional', '-passout', `pass:${password}`]).toString()
  }
  if (keyFormat === 'encrypted') {
    keyPem = openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', keyPath, '-passout', `pass:${password}`]).toString()
  }
  const certPem = readFileSync(certPath, 'utf8')
  return { keyPath, certPath, keyPem, certPem, pem: `${certPem}${keyPem}` }
}

// Throw-away certificates for the local Entra ID simulator, the tests and the benchmark, made with
// the openssl command line (Node's crypto can make keys but not X.509 certificates). Everything is
// written into the directory the caller passes (from scripts/temp.mjs) and removed with it; nothing
// made here is ever committed.
import { execFileSync } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Thrown when openssl cannot be found: its message is one line that says how to get it. */
export class OpensslMissingError extends Error {
  constructor() {
    super(
      'openssl was not found on PATH; it makes the throw-away certificates for the local simulator. ' +
        'Install it (Debian/Ubuntu: apt-get install openssl; macOS: it ships with the system, or brew install openssl; ' +
        'Windows: Git for Windows ships one in C:\\Program Files\\Git\\usr\\bin) and put it on PATH.'
    )
    this.name = 'OpensslMissingError'
  }
}

let opensslPath
/**
 * The openssl executable: the first on PATH (with PATHEXT on Windows), else on Windows the one that
 * Git for Windows installs, which is not always on PATH outside Git Bash.
 */
export function findOpenssl(env = process.env) {
  const windows = process.platform === 'win32'
  const extensions = windows ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : ['']
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean)
  if (windows) {
    for (const root of [env.ProgramFiles, env['ProgramFiles(x86)'], env.LOCALAPPDATA && join(env.LOCALAPPDATA, 'Programs')]) {
      if (root) dirs.push(join(root, 'Git', 'usr', 'bin'), join(root, 'Git', 'mingw64', 'bin'))
    }
  }
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = join(dir, `openssl${extension.toLowerCase()}`)
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate
    }
  }
  return undefined
}

function openssl(args, cwd) {
  opensslPath ??= findOpenssl()
  if (!opensslPath) throw new OpensslMissingError()
  return execFileSync(opensslPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
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
 * `serverCertificate(name, altNames)` issues another one from the same CA, for exactly the given
 * subjectAltName entries ('DNS:localhost', 'IP:::1'): a wrong name, an IP or a DNS SAN only.
 */
export function createServerTls(dir, extraNames = []) {
  const caKey = newKey(dir, 'ca')
  const caPath = join(dir, 'ca.pem')
  openssl(['req', '-x509', '-key', caKey, '-out', caPath, '-days', '2', '-subj', '/CN=graph-token-action test CA'])
  const serverCertificate = (name, altNames) => {
    const key = newKey(dir, name)
    const csr = join(dir, `${name}.csr`)
    const cert = join(dir, `${name}.pem`)
    openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${name}`])
    const ext = join(dir, `${name}.ext`)
    writeFileSync(ext, `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth\n`)
    openssl(['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext])
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
  }
  const server = serverCertificate('server', ['IP:127.0.0.1', 'DNS:localhost', ...extraNames.map(n => `DNS:${n}`)])
  return { caPath, ca: readFileSync(caPath, 'utf8'), ...server, serverCertificate }
}

const DAY_MS = 86_400_000

/** An instant as `openssl ca -startdate/-enddate` takes it: YYYYMMDDHHMMSSZ. */
function opensslDate(ms) {
  return new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
}

/**
 * A client certificate and its key, as a user would store them in one secret.
 * Its validity is relative to `now` (epoch ms, default the real clock): a test on a fake clock
 * passes its own `now`, so the certificate is valid on that clock whatever today's date is.
 * options: now, subject, type ('rsa' | 'ec'), bits, validFromDays (default -1) and days (valid
 * until now + days; negative for an expired one), keyFormat ('pkcs8' | 'pkcs1' | 'encrypted' |
 * 'encrypted-pkcs1': legacy Proc-Type/DEK-Info PEM), password, issuer (another result, to make a chain).
 */
export function createClientCertificate(dir, name, options = {}) {
  const {
    now = Date.now(),
    subject = `/CN=${name}`,
    type,
    bits,
    validFromDays = -1,
    days = 365,
    keyFormat = 'pkcs8',
    password,
    issuer
  } = options
  const keyPath = newKey(dir, name, { type, bits })
  const certPath = join(dir, `${name}.crt`)
  // Only `openssl ca` can set arbitrary dates with OpenSSL 3.0. Its database lives in the caller's
  // directory, and the configuration names its files relative to it (cwd), since a backslash in
  // a Windows path would be an escape in an openssl configuration file.
  const csr = join(dir, `${name}.csr`)
  openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', subject])
  const db = join(dir, `${name}-ca-db`)
  mkdirSync(db)
  writeFileSync(join(db, 'index.txt'), '')
  writeFileSync(join(db, 'serial'), '01\n')
  writeFileSync(
    join(db, 'ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\nx509_extensions=x\n` +
      `[p]\ncommonName=supplied\n[x]\nbasicConstraints=${issuer ? 'CA:FALSE' : 'CA:TRUE'}\nsubjectKeyIdentifier=hash\n`
  )
  const signer = issuer ? ['-cert', issuer.certPath, '-keyfile', issuer.keyPath] : ['-selfsign', '-keyfile', keyPath]
  const dates = ['-startdate', opensslDate(now + validFromDays * DAY_MS), '-enddate', opensslDate(now + days * DAY_MS)]
  openssl(['ca', '-batch', '-config', join(db, 'ca.cnf'), ...signer, '-in', csr, ...dates, '-out', certPath, '-notext'], db)
  // Other key formats come from Node's crypto, not openssl: LibreSSL (macOS's openssl) has no
  // `rsa -traditional`, and both write the same standard PEM.
  let keyPem = readFileSync(keyPath, 'utf8')
  if (keyFormat === 'pkcs1') keyPem = createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString()
  if (keyFormat === 'encrypted-pkcs1') {
    // The legacy form: Proc-Type and DEK-Info headers, then a blank line (RFC 1421 §4.6.1.3).
    keyPem = createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: password }).toString()
  }
  if (keyFormat === 'encrypted') {
    keyPem = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: password }).toString()
  }
  const certPem = readFileSync(certPath, 'utf8')
  return { keyPath, certPath, keyPem, certPem, pem: `${certPem}${keyPem}` }
}

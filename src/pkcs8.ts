/**
 * How costly it is to derive the key that decrypts an encrypted PKCS#8 private key
 * (RFC 5958 §3 EncryptedPrivateKeyInfo, with PBES2 of RFC 8018 §6.2 and PBKDF2 of §5.2, or scrypt of
 * RFC 7914 §7.1; or PBES1 of §6.1). node:crypto derives it synchronously, so an absurd cost would
 * block the process past every deadline: it is read first, from the DER, and refused when too high
 * or when it cannot be read at all.
 */
export type KeyDerivation =
  | { kdf: 'pbkdf2'; iterations: number }
  | { kdf: 'scrypt'; cost: number; blockSize: number; parallelization: number }
  /** PBES1 and the PKCS#12 PBE schemes (RFC 8018 §6.1, RFC 7292 Appendix C): salt and iterations. */
  | { kdf: 'pbes1'; iterations: number }

const PBES2 = '2a864886f70d01050d' // 1.2.840.113549.1.5.13
const PBKDF2 = '2a864886f70d01050c' // 1.2.840.113549.1.5.12
const SCRYPT = '2b06010401da47040b' // 1.3.6.1.4.1.11591.4.11

interface Node {
  tag: number
  content: Buffer
}

/** The DER elements inside `data`, in order (X.690 §8.1: tag, length, content). */
function children(data: Buffer): Node[] {
  const nodes: Node[] = []
  for (let i = 0; i < data.length;) {
    const tag = data[i]
    let length = data[i + 1]
    let start = i + 2
    if (length & 0x80) {
      const bytes = length & 0x7f
      if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length')
      length = data.readUIntBE(start, bytes)
      start += bytes
    }
    if (start + length > data.length) throw new Error('truncated DER')
    nodes.push({ tag, content: data.subarray(start, start + length) })
    i = start + length
  }
  return nodes
}

const integer = (node: Node | undefined) =>
  node && node.tag === 0x02 && node.content.length <= 6 ? node.content.readUIntBE(0, node.content.length) : NaN

/** The key derivation of an ENCRYPTED PRIVATE KEY block's DER, or undefined when it cannot be read. */
export function keyDerivation(der: Buffer): KeyDerivation | undefined {
  try {
    const [algorithm] = children(children(der)[0].content)
    const [oid, parameters] = children(algorithm.content)
    if (oid.content.toString('hex') !== PBES2) {
      const [salt, iterations] = children(parameters.content)
      return salt?.tag === 0x04 ? { kdf: 'pbes1', iterations: integer(iterations) } : undefined
    }
    const [kdf] = children(parameters.content)
    const [kdfOid, kdfParameters] = children(kdf.content)
    const fields = children(kdfParameters.content)
    const name = kdfOid.content.toString('hex')
    if (name === PBKDF2) return { kdf: 'pbkdf2', iterations: integer(fields[1]) }
    if (name === SCRYPT)
      return { kdf: 'scrypt', cost: integer(fields[1]), blockSize: integer(fields[2]), parallelization: integer(fields[3]) }
    return undefined
  } catch {
    return undefined
  }
}

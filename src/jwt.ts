import { constants, createHash, sign, type KeyObject } from 'node:crypto'

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

/** base64url of the SHA-256 digest: the `x5t#S256` header of RFC 7515 §4.1.8. */
export function sha256Thumbprint(der: Buffer): string {
  return base64url(createHash('sha256').update(der).digest())
}

/**
 * A JWT signed with PS256 (RFC 7518 §3.5): RSASSA-PSS with SHA-256, MGF1-SHA-256 and a salt as
 * long as the digest. Node's default PSS salt for signing is the maximum, which Entra ID rejects,
 * hence RSA_PSS_SALTLEN_DIGEST.
 */
export function signPs256(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${base64url(JSON.stringify({ alg: 'PS256', typ: 'JWT', ...header }))}.${base64url(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST
  })
  return `${input}.${base64url(signature)}`
}

/**
 * The claims of a JWS compact token, or the reason they cannot be read. The signature is not
 * checked: this action holds the token to pass it on, it does not accept it, and Microsoft warns
 * clients not to validate tokens for APIs they do not own. Decoding is for display only.
 */
export function decodeClaims(token: string): { claims: Record<string, unknown> } | { reason: string } {
  const parts = token.split('.')
  if (parts.length !== 3) {
    return { reason: parts.length === 5 ? 'it is encrypted (JWE)' : 'it is not a JWT (an opaque token)' }
  }
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    if (claims && typeof claims === 'object' && !Array.isArray(claims)) return { claims: claims as Record<string, unknown> }
    return { reason: 'its payload is not a JSON object' }
  } catch {
    return { reason: 'its payload is not base64url JSON' }
  }
}

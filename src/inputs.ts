import type { Io } from './io.js'
import { privateKeyLines } from './pem.js'

/** The inputs of action.yml, as the workflow gave them (trimmed strings, '' when absent). */
export interface RawInputs {
  'tenant-id': string
  'client-id': string
  'client-secret': string
  'client-certificate': string
  'client-certificate-password': string
  cloud: string
  scope: string
  'authority-host': string
  'oidc-audience': string
  'required-roles': string
  'job-summary': string
  'max-attempts': string
  'timeout-seconds': string
  /** ACTIONS_ID_TOKEN_REQUEST_URL: present only with `permissions: id-token: write`. */
  idTokenRequestUrl: string
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN: the bearer token for the URL above. */
  idTokenRequestToken: string
}

/**
 * The only place inputs are read. Every secret is masked the moment it is read, before anything
 * else can print it; identifiers (client and tenant IDs) are not, since users pass them on.
 */
export function readInputs(io: Pick<Io, 'getInput' | 'mask' | 'env'>): RawInputs {
  const secret = (value: string, ...parts: string[]) => {
    for (const part of [value, ...parts]) if (part) io.mask(part)
    return value
  }
  const certificate = io.getInput('client-certificate')
  return {
    'client-secret': secret(io.getInput('client-secret')),
    // The whole PEM, and each line of the key's base64 body: the runner matches masks per line.
    'client-certificate': secret(certificate, ...privateKeyLines(certificate)),
    'client-certificate-password': secret(io.getInput('client-certificate-password')),
    idTokenRequestToken: secret(io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim() ?? ''),
    idTokenRequestUrl: io.env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim() ?? '',
    'tenant-id': io.getInput('tenant-id'),
    'client-id': io.getInput('client-id'),
    cloud: io.getInput('cloud'),
    scope: io.getInput('scope'),
    'authority-host': io.getInput('authority-host'),
    'oidc-audience': io.getInput('oidc-audience'),
    'required-roles': io.getInput('required-roles'),
    'job-summary': io.getInput('job-summary'),
    'max-attempts': io.getInput('max-attempts'),
    'timeout-seconds': io.getInput('timeout-seconds')
  }
}

import { readFileSync, statSync } from 'node:fs'
import { ActionError, invalidInput } from '../errors.js'
import type { Io } from '../io.js'
import { claimText, type AssertionProvider } from './federated.js'

// A JWT is a few KB; a larger file is not a token file (and is not read into memory whole).
const MAX_TOKEN_FILE_BYTES = 64 * 1024
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * A federated token in a file: a Kubernetes projected service-account token on AKS (the workload
 * identity webhook names it in AZURE_FEDERATED_TOKEN_FILE), or a JWT from any issuer the app
 * trusts. Checked once before any request, then read afresh for every attempt: the kubelet
 * rotates the file (learn.microsoft.com, "Use Microsoft Entra Workload ID with AKS").
 */
export function federatedTokenFile(
  path: string,
  origin: 'federated-token-file' | 'AZURE_FEDERATED_TOKEN_FILE',
  io: Pick<Io, 'mask'>
): AssertionProvider {
  const named = origin === 'federated-token-file' ? "'federated-token-file'" : 'AZURE_FEDERATED_TOKEN_FILE'
  const fail = (what: string, hint: string) => invalidInput(origin, `The federated token file ${named} names (${path}) ${what}.`, hint)
  let masked = ''
  const read = (text: () => string): string => {
    let token: string
    try {
      token = text().trim()
    } catch (error) {
      if (error instanceof ActionError) throw error
      const code = (error as { code?: string }).code
      throw fail(
        code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`,
        origin === 'federated-token-file'
          ? 'Give the path of a file the runner can read, holding the JWT; on AKS, the workload identity webhook mounts it at /var/run/secrets/azure/tokens/azure-identity-token.'
          : 'The AKS workload identity webhook sets it, and mounts the file, for a runner pod with the label azure.workload.identity/use: "true" whose service account has the annotation azure.workload.identity/client-id; check the pod template.'
      )
    }
    if (!token) throw fail('is empty', 'The file must hold one JWT; the kubelet writes it when the pod starts.')
    if (!JWS_COMPACT.test(token))
      throw fail('does not hold a JWT', 'The file must hold one signed JWT (three base64url parts joined by dots), nothing else.')
    // Masked when first read, and again whenever the kubelet has written a new one.
    if (token !== masked) io.mask(token)
    masked = token
    return token
  }
  const contents = () => {
    const stat = statSync(path)
    // A FIFO or a device (/dev/zero) would block or never end the read: only a regular file is read.
    if (!stat.isFile())
      throw fail('is not a regular file', 'Give the path of the file that holds the token, not a directory, pipe or device.')
    if (stat.size > MAX_TOKEN_FILE_BYTES) throw fail('is larger than 64 KB', 'The file must hold one JWT, which is a few KB.')
    return readFileSync(path, 'utf8')
  }

  // Before any request: the file is there, readable, and holds a JWT.
  read(contents)

  return {
    label: `the federated token file in ${named}`,
    tokenName: `The token in ${named}`,
    async assertion() {
      try {
        return read(contents)
      } catch (error) {
        if (!(error instanceof ActionError)) throw error
        throw new ActionError('id-token', `${error.message} It was readable when the run started.`, {
          input: error.input,
          hint: error.hint
        })
      }
    },
    expected: claims => ({ issuer: claimText(claims.iss), subject: claimText(claims.sub), audience: claimText(claims.aud) }),
    namePrefix: 'federated-',
    traps: [
      [
        'subject',
        "AKS workload identity presents system:serviceaccount:NAMESPACE:NAME: the namespace and name of the runner pod's service account (kubectl get pod POD -o jsonpath='{.spec.serviceAccountName}')."
      ],
      [
        'issuer',
        "The issuer is the cluster's OIDC issuer URL exactly as the cluster writes it, trailing slash included: az aks show -g RG -n CLUSTER --query oidcIssuerProfile.issuerUrl -o tsv."
      ],
      ['audience', 'AKS projects the token for api://AzureADTokenExchange; the federated credential lists that single audience.']
    ]
  }
}

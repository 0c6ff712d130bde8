import { ActionError, invalidInput } from '../errors.js'
import { singleLine } from '../inert-text.js'
import type { Io } from '../io.js'
import { tooShortToBeSecret } from '../secret-length.js'
import { readSmallFile } from '../small-file.js'
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
  const fail = (what: string, hint: string) =>
    invalidInput(origin, `The federated token file ${named} names (${singleLine(path)}) ${what}.`, hint)
  const HINTS = {
    missing:
      origin === 'federated-token-file'
        ? 'Give the path of a file the runner can read, holding the JWT; on AKS, the workload identity webhook mounts it at /var/run/secrets/azure/tokens/azure-identity-token.'
        : 'The AKS workload identity webhook sets it, and mounts the file, for a runner pod with the label azure.workload.identity/use: "true" whose service account has the annotation azure.workload.identity/client-id; check the pod template.',
    shape: 'The file must hold one signed JWT (three base64url parts joined by dots, a few KB), nothing else.'
  }
  let masked = ''
  /** The token in the file now; each failure names the input. */
  const read = (): string => {
    const file = readSmallFile(path, MAX_TOKEN_FILE_BYTES)
    if ('problem' in file) {
      const what = {
        missing: 'does not exist',
        unreadable: `cannot be read (${file.code ?? 'error'})`,
        'not a regular file': 'is not a regular file',
        'too large': 'is larger than 64 KB'
      }[file.problem]
      throw fail(what, file.problem === 'missing' || file.problem === 'unreadable' ? HINTS.missing : HINTS.shape)
    }
    const token = file.text.trim()
    if (!token) throw fail('is empty', 'The file must hold one JWT; the kubelet writes it when the pod starts.')
    if (!JWS_COMPACT.test(token)) throw fail('does not hold a JWT', HINTS.shape)
    // Checked before it is masked: a mask of a few characters blanks them out all over the log.
    const short = tooShortToBeSecret(token)
    if (short) throw fail(`holds a token ${short}`, HINTS.shape)
    // Masked when first read, and again whenever the kubelet has written a new one.
    if (token !== masked) io.mask(token)
    masked = token
    return token
  }

  // Before any request: the file is there, readable, and holds a JWT.
  read()

  return {
    label: `the federated token file in ${named}`,
    tokenName: `The token in ${named}`,
    async assertion() {
      try {
        return read()
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

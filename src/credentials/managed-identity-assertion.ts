import type { ManagedIdentitySettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import { requestManagedIdentityToken } from '../token-sources/managed-identity.js'
import type { Retry } from './credential.js'
import { claimText, reuseWhileValid, type AssertionProvider } from './federated.js'

/**
 * A user-assigned managed identity as an app registration's credential (learn.microsoft.com,
 * "Configure an application to trust a managed identity"): the identity's token for the cloud's
 * token-exchange audience is the client assertion. The app's federated credential names the
 * identity's tenant as issuer and its object (principal) ID as subject.
 */
export function managedIdentityAssertion(
  identity: ManagedIdentitySettings,
  audience: string,
  authorityHost: string,
  io: Pick<Io, 'http' | 'mask' | 'redact' | 'now'>,
  retry: Retry
): AssertionProvider {
  return {
    label: 'a managed identity as the app credential',
    tokenName: "The managed identity's token",
    assertion: reuseWhileValid(
      async () =>
        (await retry('managed identity token request', signal => requestManagedIdentityToken(io, identity, audience, signal))).accessToken,
      io.now
    ),
    expected: claims => ({
      issuer: `${authorityHost}/${claimText(claims.tid)}/v2.0`,
      subject: claimText(claims.oid),
      audience
    }),
    namePrefix: 'managed-identity-',
    traps: [
      [
        'subject',
        "The subject is the identity's object (principal) ID, not its client ID: az identity show -g RG -n NAME --query principalId -o tsv."
      ],
      ['issuer', `The issuer is ${authorityHost}/TENANT/v2.0 with the identity's own tenant, which may differ from the app's.`],
      ['audience', `The audience is ${audience}, this cloud's token-exchange audience.`]
    ]
  }
}

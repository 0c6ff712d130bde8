import { CLOUDS } from '../clouds.js'
import type { CredentialSettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import type { Settings } from '../settings.js'
import { certificateCredential, loadCertificate } from './certificate.js'
import { clientSecret } from './client-secret.js'
import type { Credential, Retry } from './credential.js'
import { federatedCredential } from './federated.js'
import { federatedTokenFile } from './federated-token-file.js'
import { githubIdToken } from './github-id-token.js'
import { managedIdentityAssertion } from './managed-identity-assertion.js'

/**
 * The one credential the settings chose. A certificate or a token file is read and checked here,
 * before any request; the three federated kinds share one path (federated.ts).
 */
export function createCredential(credential: CredentialSettings, settings: Settings, io: Io, retry: Retry): Credential {
  const defaultAudience = CLOUDS[settings.cloud].oidcAudience
  switch (credential.kind) {
    case 'client-secret':
      return clientSecret(credential.secret)
    case 'certificate':
      return certificateCredential(loadCertificate(credential.pem, credential.password, io.now()), settings.clientId, io)
    case 'github-oidc':
      return federatedCredential(
        githubIdToken({ ...credential, defaultAudience, proxy: settings.proxy }, io, retry),
        settings.clientId,
        io.log
      )
    case 'federated-token-file':
      return federatedCredential(federatedTokenFile(credential.path, credential.origin, io), settings.clientId, io.log)
    case 'managed-identity':
      return federatedCredential(
        managedIdentityAssertion(credential.identity, credential.audience, CLOUDS[settings.cloud].authorityHost, io, retry),
        settings.clientId,
        io.log
      )
  }
}

import { CLOUDS } from '../clouds.js'
import type { CredentialSettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import type { Settings } from '../settings.js'
import type { Credential, Retry } from './credential.js'

/**
 * The one credential the settings chose. A certificate or a token file is read and checked here,
 * before any request; the three federated kinds share one path (federated.ts).
 *
 * Each kind's code is imported when it is chosen: bundled into the one file all the same
 * (webpackMode "eager", as src/index.ts does for the renewer), but a client-secret run does not
 * evaluate the certificate parser, the OIDC or the managed identity code (docs/startup-profile.md).
 */
export async function createCredential(credential: CredentialSettings, settings: Settings, io: Io, retry: Retry): Promise<Credential> {
  const defaultAudience = CLOUDS[settings.cloud].oidcAudience
  switch (credential.kind) {
    case 'client-secret': {
      const { clientSecret } = await import(/* webpackMode: "eager" */ './client-secret.js')
      return clientSecret(credential.secret)
    }
    case 'certificate': {
      const { certificateCredential, loadCertificate } = await import(/* webpackMode: "eager" */ './certificate.js')
      return certificateCredential(loadCertificate(credential.pem, credential.password, io.now()), settings.clientId, io)
    }
    case 'github-oidc': {
      const [{ federatedCredential }, { githubIdToken }] = await Promise.all([
        import(/* webpackMode: "eager" */ './federated.js'),
        import(/* webpackMode: "eager" */ './github-id-token.js')
      ])
      return federatedCredential(
        githubIdToken({ ...credential, defaultAudience, proxy: settings.proxy }, io, retry),
        settings.clientId,
        io.log
      )
    }
    case 'federated-token-file': {
      const [{ federatedCredential }, { federatedTokenFile }] = await Promise.all([
        import(/* webpackMode: "eager" */ './federated.js'),
        import(/* webpackMode: "eager" */ './federated-token-file.js')
      ])
      return federatedCredential(federatedTokenFile(credential.path, credential.origin, io), settings.clientId, io.log)
    }
    case 'managed-identity': {
      const [{ federatedCredential }, { managedIdentityAssertion }] = await Promise.all([
        import(/* webpackMode: "eager" */ './federated.js'),
        import(/* webpackMode: "eager" */ './managed-identity-assertion.js')
      ])
      return federatedCredential(
        managedIdentityAssertion(credential.identity, credential.audience, CLOUDS[settings.cloud].authorityHost, io, retry),
        settings.clientId,
        io.log
      )
    }
  }
}

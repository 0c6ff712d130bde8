import { CLOUDS } from '../clouds.js'
import type { CredentialSettings } from '../identity-settings.js'
import type { Io } from '../io.js'
import type { Settings } from '../settings.js'
import type { Credential, Retry } from './credential.js'
import type { AssertionProvider } from './federated.js'

/**
 * The one credential the settings chose. A certificate or a token file is read and checked here,
 * before any request; the three federated kinds share one path (federated.ts).
 *
 * Each kind's code is imported when it is chosen: bundled into the one file all the same
 * (webpackMode "eager", as src/index.ts does for the renewer), but a client-secret run does not
 * evaluate the certificate parser, the OIDC or the managed identity code (docs/startup-profile.md).
 */
export async function createCredential(credential: CredentialSettings, settings: Settings, io: Io, retry: Retry): Promise<Credential> {
  // The three federated kinds: an assertion provider, behind the one federated credential.
  const federated = async (provider: Promise<AssertionProvider>) => {
    const { federatedCredential } = await import(/* webpackMode: "eager" */ './federated.js')
    return federatedCredential(await provider, settings.clientId, io.log)
  }
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
      const defaultAudience = CLOUDS[settings.cloud].oidcAudience
      return federated(
        import(/* webpackMode: "eager" */ './github-id-token.js').then(({ githubIdToken }) =>
          githubIdToken({ ...credential, defaultAudience, proxy: settings.proxy }, io, retry)
        )
      )
    }
    case 'federated-token-file':
      return federated(
        import(/* webpackMode: "eager" */ './federated-token-file.js').then(({ federatedTokenFile }) =>
          federatedTokenFile(credential.path, credential.origin, io)
        )
      )
    case 'managed-identity':
      return federated(
        import(/* webpackMode: "eager" */ './managed-identity-assertion.js').then(({ managedIdentityAssertion }) =>
          managedIdentityAssertion(credential.identity, credential.audience, CLOUDS[settings.cloud].authorityHost, io, retry)
        )
      )
  }
}

import { CLOUDS } from '../clouds.js'
import type { Io } from '../io.js'
import type { Settings } from '../settings.js'
import { certificateCredential, loadCertificate } from './certificate.js'
import { clientSecret } from './client-secret.js'
import type { Credential } from './credential.js'
import { githubOidcCredential, type Retry } from './github-oidc.js'

/** The one credential the settings chose; a certificate is read and checked here, before any request. */
export function createCredential(settings: Settings, io: Io, retry: Retry): Credential {
  const credential = settings.credential
  switch (credential.kind) {
    case 'client-secret':
      return clientSecret(credential.secret)
    case 'certificate':
      return certificateCredential(loadCertificate(credential.pem, credential.password, io.now()), settings.clientId, io)
    case 'github-oidc':
      return githubOidcCredential(
        { ...credential, clientId: settings.clientId, defaultAudience: CLOUDS[settings.cloud].oidcAudience, proxy: settings.proxy },
        io,
        retry
      )
  }
}

import { isGuid } from '../identifiers.js'
import type { Credential } from './credential.js'

/** The secret goes in the form body only (client_secret_post), never a URL, header or command line. */
export function clientSecret(secret: string): Credential {
  return {
    label: 'a client secret',
    authenticate: async () => ({ client_secret: secret }),
    notesOnRejection: code =>
      code === 7000215 && isGuid(secret)
        ? {
            hint: "The value in 'client-secret' has the shape of a GUID: that is the secret's Secret ID. Copy the Value column instead (it is shown only once, when the secret is created; if it is gone, create a new secret).",
            details: []
          }
        : { details: [] }
  }
}

import { afterEach, describe, expect, it, jest } from '@jest/globals'
import nock from 'nock'
import { createHttp } from '../../src/http-transport.js'
import { USER_AGENT } from '../../src/version.js'
import { CLIENT, fakeIo, fakeJwt, SECRET, TENANT } from '../helpers/fake-io.js'

// A run evaluates only the code its inputs choose (docs/startup-profile.md): each module below
// is replaced by one that records that it was evaluated, so a client-secret run that reaches any
// of them shows here. The replacements do nothing else; a run that needs one fails at it.
const evaluated: string[] = []
const deferred = [
  '../../src/credentials/certificate.js',
  '../../src/credentials/federated.js',
  '../../src/credentials/github-id-token.js',
  '../../src/credentials/federated-token-file.js',
  '../../src/credentials/managed-identity-assertion.js',
  '../../src/token-sources/managed-identity.js',
  '../../src/entra-errors.js',
  '../../src/renewal/start.js'
]
for (const path of deferred) {
  jest.unstable_mockModule(path, () => {
    evaluated.push(path.replace('../../src/', ''))
    const absent = () => {
      throw new Error(`${path} is replaced in this test`)
    }
    return {
      certificateCredential: absent,
      loadCertificate: absent,
      federatedCredential: absent,
      githubIdToken: absent,
      federatedTokenFile: absent,
      managedIdentityAssertion: absent,
      requestManagedIdentityToken: absent,
      explainEntraError: absent,
      readEntraError: absent,
      startRenewal: absent
    }
  })
}
const { run } = await import('../../src/run.js')

const LOGIN = 'https://login.microsoftonline.com'
const PATH = `/${TENANT}/oauth2/v2.0/token`
// learn.microsoft.com, "Microsoft identity platform and the OAuth 2.0 client credentials flow",
// "Successful response example".
const TOKEN = fakeJwt({ tid: TENANT, roles: ['User.Read.All'], appid: CLIENT })
const OK = { token_type: 'Bearer', expires_in: 3599, access_token: TOKEN }

function io(inputs: Record<string, string>) {
  return fakeIo({ 'tenant-id': TENANT, 'client-id': CLIENT, ...inputs }, { http: createHttp(USER_AGENT) })
}

afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  evaluated.length = 0
  expect(pending).toEqual([])
})

describe('what a run evaluates', () => {
  it('a client-secret run that gets its token evaluates no certificate, OIDC, managed identity, explanation or renewal code', async () => {
    nock(LOGIN).post(PATH).reply(200, OK)
    const fake = io({ 'client-secret': SECRET })
    await run(fake)
    expect(fake.outputs.token).toBe(TOKEN)
    expect(evaluated).toEqual([])
  })

  it('a certificate run evaluates the certificate code, and only it (the check above can fail)', async () => {
    const fake = io({ 'client-certificate': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' })
    await expect(run(fake)).rejects.toThrow('credentials/certificate.js is replaced in this test')
    expect(evaluated).toEqual(['credentials/certificate.js'])
  })

  it('a rejected token request evaluates the explanation table', async () => {
    // learn.microsoft.com, "Microsoft identity platform and the OAuth 2.0 client credentials flow", "Error response example".
    nock(LOGIN)
      .post(PATH)
      .reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] })
    await expect(run(io({ 'client-secret': SECRET, 'max-attempts': '1' }))).rejects.toThrow('entra-errors.js is replaced in this test')
    expect(evaluated).toEqual(['entra-errors.js'])
  })
})

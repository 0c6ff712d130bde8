import { describe, expect, it } from '@jest/globals'
import { join, resolve } from 'node:path'
import type { RawInputs } from '../../src/inputs.js'
import { assertionSource, azureVariables } from '../../src/renewal/azure-variables.js'
import { renewerEnvironment } from '../../src/renewal/process.js'
import { parseSettings } from '../../src/settings.js'
import { CLIENT, rawInputs, TENANT } from '../helpers/fake-io.js'

const FILE = join('runner-temp', 'graph-token-renewal-x', 'federated-token')

function settings(overrides: Partial<RawInputs>) {
  return parseSettings(
    rawInputs({
      'client-secret': '',
      'azure-credentials': 'true',
      idTokenRequestUrl: 'https://token.actions.example/_apis?api-version=2.0',
      idTokenRequestToken: 'request-token-0123456789abcdef',
      ...overrides
    })
  )
}

describe("the variables 'azure-credentials' exports", () => {
  it('for the app: what @azure/identity and Terraform azurerm read, pointing at the renewed assertion', () => {
    const oidc = settings({ cloud: 'usgov' })
    expect(assertionSource(oidc)).toEqual({ kind: 'renewed' })
    expect(azureVariables(oidc, FILE)).toEqual({
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us',
      AZURE_FEDERATED_TOKEN_FILE: FILE,
      ARM_CLIENT_ID: CLIENT,
      ARM_TENANT_ID: TENANT,
      ARM_USE_OIDC: 'true',
      ARM_OIDC_TOKEN_FILE_PATH: FILE,
      ARM_ENVIRONMENT: 'usgovernment'
    })
  })

  it('for a federated token file (AKS): that file as it is, which the kubelet renews', () => {
    const aks = settings({ 'federated-token-file': 'tokens/azure-identity-token' })
    expect(assertionSource(aks)).toEqual({ kind: 'file', path: resolve('tokens/azure-identity-token') })
  })

  it("for a managed identity's own token: AZURE_CLIENT_ID of a user-assigned identity given by client ID, nothing for the others", () => {
    const identity = '5a5a5a5a-0000-4000-8000-000000000002'
    expect(azureVariables(settings({ 'client-id': '', 'managed-identity': identity }), undefined)).toEqual({ AZURE_CLIENT_ID: identity })
    expect(azureVariables(settings({ 'client-id': '', 'managed-identity': 'system' }), undefined)).toEqual({})
  })

  it('nothing when the input is false', () => {
    expect(assertionSource(settings({ 'azure-credentials': 'false' }))).toEqual({ kind: 'none' })
  })
})

describe("the renewer's environment", () => {
  it('keeps what Node needs and no input, credential, request token or proxy URL', () => {
    const env = renewerEnvironment({
      'INPUT_CLIENT-SECRET': 'secret',
      INPUT_CLIENT_CERTIFICATE: 'pem',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789abcdef',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example',
      https_proxy: 'http://user:password@proxy:3128',
      IDENTITY_HEADER: 'header-secret',
      NODE_EXTRA_CA_CERTS: 'corporate-ca.pem',
      PATH: 'bin',
      SystemRoot: 'C:\\Windows'
    })
    expect(env).toEqual(
      process.platform === 'win32'
        ? { NODE_EXTRA_CA_CERTS: 'corporate-ca.pem', SystemRoot: 'C:\\Windows' }
        : { NODE_EXTRA_CA_CERTS: 'corporate-ca.pem' }
    )
  })
})

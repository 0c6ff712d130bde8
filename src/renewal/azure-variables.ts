import { resolve } from 'node:path'
import type { CloudName } from '../clouds.js'
import type { Settings } from '../settings.js'

// Terraform azurerm's names for the clouds (registry.terraform.io/providers/hashicorp/azurerm,
// "environment": public, usgovernment, china; ARM_ENVIRONMENT).
const ARM_ENVIRONMENT: Record<CloudName, string> = { public: 'public', usgov: 'usgovernment', 'usgov-dod': 'usgovernment', china: 'china' }

/** How later steps get an assertion: the one this action renews, or a file that is already the credential. */
export type AssertionSource = { kind: 'renewed' } | { kind: 'file'; path: string } | { kind: 'none' }

/** Which assertion 'azure-credentials' hands over for these settings. */
export function assertionSource(settings: Settings): AssertionSource {
  if (!settings.azureCredentials || settings.source.kind !== 'entra') return { kind: 'none' }
  const { credential } = settings.source
  // AKS: the kubelet already renews the file; later steps read it as it is.
  if (credential.kind === 'federated-token-file') return { kind: 'file', path: resolve(credential.path) }
  return { kind: 'renewed' }
}

/**
 * The variables 'azure-credentials' exports for later steps (GITHUB_ENV), for the app and its
 * assertion file, or for a managed identity's own token. Names, from each tool's source:
 * - @azure/identity (Azure/azure-sdk-for-js, sdk/identity/identity/src/credentials/
 *   workloadIdentityCredential.ts, SupportedWorkloadEnvironmentVariables: AZURE_TENANT_ID,
 *   AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE; msal/utils.ts and client/identityClient.ts:
 *   AZURE_AUTHORITY_HOST). The other Azure SDKs, the AKS webhook and azure-cli's docs use the same.
 * - Terraform azurerm (hashicorp/terraform-provider-azurerm, internal/provider/provider.go:
 *   client_id ARM_CLIENT_ID, tenant_id ARM_TENANT_ID, use_oidc ARM_USE_OIDC, oidc_token_file_path
 *   ARM_OIDC_TOKEN_FILE_PATH, environment ARM_ENVIRONMENT); the azuread and azapi providers read the same.
 * No secret is among them: the assertion stays in its 0600 file.
 */
export function azureVariables(settings: Settings, assertionFile: string | undefined): Record<string, string> {
  if (settings.source.kind === 'managed-identity') {
    // The identity itself is the credential later steps use (ManagedIdentityCredential); only a
    // user-assigned one given by client ID has a variable the SDKs read (AZURE_CLIENT_ID).
    const { id } = settings.source.identity
    return id.kind === 'client-id' ? { AZURE_CLIENT_ID: id.value } : {}
  }
  if (!assertionFile) return {}
  return {
    AZURE_CLIENT_ID: settings.clientId,
    AZURE_TENANT_ID: settings.tenantId,
    AZURE_AUTHORITY_HOST: settings.authorityHost,
    AZURE_FEDERATED_TOKEN_FILE: assertionFile,
    ARM_CLIENT_ID: settings.clientId,
    ARM_TENANT_ID: settings.tenantId,
    ARM_USE_OIDC: 'true',
    ARM_OIDC_TOKEN_FILE_PATH: assertionFile,
    ARM_ENVIRONMENT: ARM_ENVIRONMENT[settings.cloud]
  }
}

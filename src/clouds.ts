/**
 * The Microsoft clouds a workflow can target. Hosts, Graph endpoints and federation audiences from
 * learn.microsoft.com "National cloud deployments" (graph/deployments) and the audiences of
 * "Configure an application to trust a managed identity" (entra/workload-id). Tokens are not
 * interchangeable across clouds.
 */
export interface Cloud {
  /** Login host, as an origin. */
  authorityHost: string
  /** Microsoft Graph, whose /.default is the default scope. */
  graphHost: string
  /** Audience GitHub's ID token is requested for, matching the portal's default for this cloud. */
  oidcAudience: string
}

export const CLOUDS = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    graphHost: 'graph.microsoft.com',
    oidcAudience: 'api://AzureADTokenExchange'
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'graph.microsoft.us',
    oidcAudience: 'api://AzureADTokenExchangeUSGov'
  },
  'usgov-dod': {
    authorityHost: 'https://login.microsoftonline.us',
    graphHost: 'dod-graph.microsoft.us',
    oidcAudience: 'api://AzureADTokenExchangeUSGov'
  },
  china: {
    // login.chinacloudapi.cn is an alias of the same authority.
    authorityHost: 'https://login.partner.microsoftonline.cn',
    graphHost: 'microsoftgraph.chinacloudapi.cn',
    oidcAudience: 'api://AzureADTokenExchangeChina'
  }
} as const satisfies Record<string, Cloud>

export type CloudName = keyof typeof CLOUDS

export function isCloudName(name: string): name is CloudName {
  return Object.hasOwn(CLOUDS, name)
}

// Other names of a cloud's login host: the AKS webhook writes China's as login.chinacloudapi.cn.
const AUTHORITY_ALIASES: Record<string, CloudName> = { 'https://login.chinacloudapi.cn': 'china' }

/**
 * The cloud whose login host `origin` is, or undefined for any other host (Azure Stack, a private
 * endpoint). usgov-dod shares usgov's login host: a host alone reads as usgov.
 */
export function cloudOfAuthorityHost(origin: string): CloudName | undefined {
  const names = Object.keys(CLOUDS) as CloudName[]
  return names.find(name => CLOUDS[name].authorityHost === origin) ?? AUTHORITY_ALIASES[origin]
}

/** True when the scope is some cloud's Microsoft Graph, so the token should carry Graph roles. */
export function isGraphScope(scope: string): boolean {
  return (
    Object.values(CLOUDS).some(c => scope.startsWith(`https://${c.graphHost}/`)) ||
    scope.startsWith('00000003-0000-0000-c000-000000000000/')
  )
}

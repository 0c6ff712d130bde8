/**
 * Stands in for 'undici' in the bundle (tsconfig.json "paths"; ncc resolves through it).
 *
 * @actions/http-client imports undici at load time only for getAgentDispatcher(), which hands a
 * ProxyAgent to fetch-based callers. This action never calls it: its requests go through
 * node:https, and proxies through the 'tunnel' agent that http-client picks from https_proxy and
 * no_proxy. Bundling undici would add about 600 KB and roughly doubles the start-up time of
 * every job (see README, Performance). If a future http-client version reaches this class, the
 * action fails loudly instead of silently skipping the proxy.
 */
export class ProxyAgent {
  constructor() {
    throw new Error('undici is not bundled: graph-token-action does not use fetch-based proxy dispatchers')
  }
}

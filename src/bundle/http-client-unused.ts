/**
 * Stands in for '@actions/http-client' in the bundle (tsconfig.json "paths"; ncc resolves
 * through it), like exec-unused.ts.
 *
 * @actions/core imports it only for core.getIDToken() (lib/oidc-utils.js), which this action does
 * not call: it fetches the GitHub ID token itself (src/credentials/github-id-token.ts), and all its
 * HTTP goes through src/http-transport.ts on node:https. Bundling the real client would bring
 * undici's and tunnel's entry points with it, for nothing. If a future @actions/core reaches it,
 * the action fails loudly instead of silently doing HTTP another way.
 */
export class HttpClient {
  constructor() {
    throw new Error('@actions/http-client is not bundled: graph-token-action does its HTTP in src/http-transport.ts')
  }
}

export class BearerCredentialHandler {
  constructor() {
    throw new Error('@actions/http-client is not bundled: graph-token-action does its HTTP in src/http-transport.ts')
  }
}

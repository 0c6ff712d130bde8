/**
 * Stands in for '@actions/exec' in the bundle (tsconfig.json "paths"), like http-client-unused.ts.
 * @actions/core imports it for core.platform.getDetails(), which runs `uname`/`sw_vers`; this
 * action never calls it, and the real module brings @actions/io along (about 50 KB together).
 */
export function getExecOutput(): never {
  throw new Error('@actions/exec is not bundled: graph-token-action does not run processes')
}

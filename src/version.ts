/** Kept equal to package.json's version by a unit test; sent in the User-Agent. */
export const VERSION = '1.1.0'
export const USER_AGENT = `graph-token-action/${VERSION}`

// The two names the entry points need before they know which code will run (src/index.ts,
// src/main.ts), apart from the renewal code, so that a step without 'keep-fresh' or
// 'azure-credentials' evaluates none of it (docs/startup-profile.md).

/** The argument that makes dist/index.js the renewer: a marker, never a value that matters. */
export const RENEW_ARGUMENT = '--renew'

/** The name under which the main step saves the post step's state (renewal/start.ts). */
export const STATE_NAME = 'renewal'

// `npm run bundle` as package.json defines it, run on this Node by ncc's JavaScript entry point
// (no shell, no .cmd shim on Windows), so there is one definition of the build.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './runner.mjs'

/** The arguments to give process.execPath to build dist/. */
export function bundleArgs() {
  const [command, ...args] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.bundle.split(' ')
  if (command !== 'ncc') throw new Error(`the bundle script is expected to run ncc, but it starts with '${command}'`)
  return [join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'), ...args]
}

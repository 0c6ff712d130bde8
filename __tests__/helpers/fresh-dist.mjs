// Jest's globalSetup: the end-to-end suites run dist/index.js, so before any suite runs, dist/ is
// rebuilt (`npm run bundle`) when a file in src/ is newer than it. `npm run jest -- FILE` then
// tests the sources as they are, not the last bundle.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { bundleArgs } from '../../scripts/bundle.mjs'
import { ROOT } from '../../scripts/runner.mjs'

function newestIn(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs)
  }
  return newest
}

export default function freshDist() {
  // npm test has built dist/ itself (or reported why it could not) just before.
  if (process.env.DIST_JUST_BUILT === '1') return
  const bundle = statSync(join(ROOT, 'dist', 'index.js'), { throwIfNoEntry: false })
  const sources = Math.max(newestIn(join(ROOT, 'src')), statSync(join(ROOT, 'package-lock.json')).mtimeMs)
  if (bundle && bundle.mtimeMs >= sources) return
  console.log('\nsrc/ is newer than dist/: rebuilding dist/ (npm run bundle) so the end-to-end suites test the sources')
  const build = spawnSync(process.execPath, bundleArgs(), { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('npm run bundle failed: the end-to-end suites would test a stale dist/')
}

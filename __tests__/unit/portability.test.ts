// The project is developed and tested on Linux, Windows and macOS (CI runs the suites on all
// three), and these checks stand in for the two that cannot be run here: what npm runs must not
// need a POSIX shell, and the scripts and tests must not assume one OS's paths or tools.
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse as parseYaml } from 'yaml'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } }

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter(file => pattern.test(file))
    .map(file => relative(ROOT, join(ROOT, dir, file)))
}
const code = [...filesUnder('scripts', /\.m?js$/), ...filesUnder('__tests__', /\.(ts|cjs)$/)].filter(
  file => !file.endsWith('portability.test.ts')
)

describe('npm scripts', () => {
  it.each(Object.entries(pkg.scripts))('%s runs in cmd.exe as in a POSIX shell', (_, command) => {
    expect(command).not.toMatch(/(^|\s)[A-Za-z_]\w*=\S/) // VAR=value command
    expect(command).not.toMatch(/'/) // cmd.exe does not quote with '
    expect(command).not.toMatch(/(^|[\s;&|])(rm|cp|mv|export|cat|test|\[)\s/)
    expect(command).not.toMatch(/\$\w|\$\{/) // shell variables
  })
})

describe('scripts and tests', () => {
  it('finds the files it checks', () => {
    expect(code).toEqual(expect.arrayContaining([join('scripts', 'runner.mjs'), join('__tests__', 'helpers', 'e2e.ts')]))
  })

  it.each(code)('%s names no OS-specific path and starts no shell', file => {
    const text = read(file)
    expect(text).not.toMatch(/['"`]\/(tmp|var|usr|dev)\//) // os.tmpdir() and node:path instead
    expect(text).not.toMatch(/spawn(Sync)?\(\s*['"`](sh|bash|cmd)['"`]/)
    expect(text).not.toMatch(/shell:\s*true/)
    expect(text).not.toMatch(/\bexecSync\(/) // a command line string goes through a shell
  })
})

describe('one Node version', () => {
  const runtime = /^node(\d+)$/.exec((parseYaml(read('action.yml')) as { runs: { using: string } }).runs.using)?.[1]

  it('is the action runtime, .node-version, package.json engines, and what the prerequisites ask for', () => {
    expect(runtime).toBe('24')
    expect(read('.node-version').trim()).toBe(runtime)
    expect(pkg.engines.node).toBe(`>=${runtime}`)
    // Said once, in docs/development.md#prerequisites; CONTRIBUTING links there and names the same.
    for (const doc of ['docs/development.md', 'CONTRIBUTING.md']) {
      const text = read(doc)
      expect([doc, text.includes(`Node ${runtime}`)]).toEqual([doc, true])
      expect([doc, text.match(/Node \d+ or newer/g)]).toEqual([doc, null])
    }
    expect(read('README.md').match(/Node \d+ or newer/g)).toBeNull()
  })
})

describe('CI', () => {
  interface Job {
    'runs-on': string
    strategy?: { matrix?: { os?: string[] } }
    steps: { uses?: string; run?: string; with?: Record<string, string> }[]
  }
  const test = (parseYaml(read('.github/workflows/ci.yml')) as { jobs: Record<string, Job> }).jobs.test

  it('runs npm test on Ubuntu, Windows and macOS, with Node from .node-version', () => {
    expect(test.strategy?.matrix?.os).toEqual(['ubuntu-latest', 'windows-latest', 'macos-latest'])
    expect(test['runs-on']).toBe('${{ matrix.os }}')
    const setupNode = test.steps.find(step => step.uses?.startsWith('actions/setup-node@'))
    expect(setupNode?.with?.['node-version-file']).toBe('.node-version')
    expect(test.steps.map(step => step.run)).toEqual(expect.arrayContaining(['npm ci', 'npm test']))
  })
})

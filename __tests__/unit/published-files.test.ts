// What users and GitHub read besides the code: action.yml, the workflows, the examples, the
// README's tables and every YAML block of every Markdown file. Each is checked with GitHub's own parser
// (@actions/workflow-parser, which knows node24) and against action.yml.
import { describe, expect, it } from '@jest/globals'
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow, type TemplateParseResult } from '@actions/workflow-parser'
import { convertActionTemplate, parseAction, type ActionRunsNode } from '@actions/workflow-parser/actions/index'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { VERSION } from '../../src/version.js'
import { markdownFiles, yamlBlocks } from '../helpers/markdown.js'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const trace = new NoOperationTraceWriter()
const errorsOf = (result: TemplateParseResult) => result.context.errors.getErrors().map(e => e.message)

interface ActionSpec {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}
const action = parseYaml(read('action.yml')) as ActionSpec
const readme = read('README.md')

const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter(f => /\.ya?ml$/.test(f))
    .map(f => `${dir}/${f}`)
const workflows = yamlFiles('.github/workflows')
const examples = yamlFiles('examples')
// Every fenced yaml block of every Markdown file, as a workflow: a complete one as it is, a list
// of steps inside a job (which may ask for an ID token, as the OIDC steps need), so that a block
// a visitor copies is checked whatever its shape.
const pages = markdownFiles()
const blocksOf = new Map(pages.map(page => [page, yamlBlocks(read(page))]))
const readmeBlocks = blocksOf.get('README.md') ?? []
const isStepList = (text: string) => /^- /.test(text.replace(/^(#.*)?\n/gm, ''))
const inJob = (steps: string) =>
  'on: workflow_dispatch\npermissions:\n  id-token: write\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n' +
  steps.replace(/^(?=.)/gm, '      ')
const asWorkflow = (text: string) => (isStepList(text) ? inJob(text) : text)

async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, trace)
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value)
  return errorsOf(parsed)
}

interface Step {
  uses?: string
  with?: Record<string, unknown>
}
interface Workflow {
  permissions?: unknown
  jobs: Record<string, { steps?: Step[]; uses?: string; permissions?: unknown }>
}
const stepsOf = (content: string) => Object.values((parseYaml(content) as Workflow).jobs).flatMap(job => job.steps ?? [])
const isThisAction = (uses: string) => uses === './' || uses.startsWith('graph-token-action/graph-token-action@')

describe('action.yml', () => {
  it("passes GitHub's action schema and runs dist/index.js on node24", () => {
    const parsed = parseAction({ name: 'action.yml', content: read('action.yml') }, trace)
    expect(errorsOf(parsed)).toEqual([])
    const template = convertActionTemplate(parsed.context, parsed.value!)
    expect(template.runs).toMatchObject({ using: 'node24', main: 'dist/index.js' } satisfies Partial<ActionRunsNode>)
    expect(template.branding).toBeDefined()
  })

  it('is rejected by the same check when broken, so the check can fail', () => {
    const parsed = parseAction({ name: 'broken.yml', content: 'name: x\ndescription: y\nruns:\n  using: node99\n  main: a.js\n' }, trace)
    expect(errorsOf(parsed).length).toBeGreaterThan(0)
  })
})

// Every workflow users or GitHub run: ours, the examples, and those of the Markdown pages.
const sources: [string, string][] = [
  ...[...workflows, ...examples].map(path => [path, read(path)] as [string, string]),
  ...[...blocksOf].flatMap(([page, blocks]) =>
    blocks.map((text, i) => [`${page} yaml block #${i + 1}`, asWorkflow(text)] as [string, string])
  )
]

describe('workflows and examples', () => {
  it.each(sources)("%s passes GitHub's workflow parser", async (name, content) => {
    expect(await workflowErrors(name, content)).toEqual([])
  })

  it('checks every yaml block of every Markdown file: complete workflows and lists of steps', () => {
    const all = [...blocksOf.values()].flat()
    const shapes = all.map(text => (isStepList(text) ? 'steps' : 'workflow'))
    expect(shapes.filter(shape => shape === 'workflow').length).toBeGreaterThanOrEqual(10)
    expect(shapes).toContain('steps')
    for (const page of pages) expect([page, blocksOf.get(page)?.length]).toEqual([page, read(page).split('```yaml\n').length - 1])
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/github-oidc.md', 'docs/long-jobs-and-sdks.md']))
  })

  // Each docs/ page explains one workflow, and shows it first.
  it.each(pages.filter(page => page.startsWith('docs/') && page !== 'docs/startup-profile.md'))('%s opens with its workflow', page => {
    const beforeBlock = read(page).split(/^```/m)[0]
    expect(beforeBlock).not.toMatch(/^##/m)
    expect(read(page).slice(beforeBlock.length)).toMatch(/^```yaml\n/)
  })

  it("opens the README with a complete workflow that has a credential: GitHub OIDC's id-token: write", () => {
    const first = parseYaml(readmeBlocks[0]) as Workflow & { permissions: Record<string, string> }
    expect(first.permissions['id-token']).toBe('write')
    expect(stepsOf(readmeBlocks[0]).some(step => step.uses && isThisAction(step.uses))).toBe(true)
  })

  it('rejects a broken workflow, so the check can fail', async () => {
    expect(await workflowErrors('broken.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n')).not.toEqual([])
  })

  it('rejects a list of steps with a compact nested mapping, as GitHub does', async () => {
    const steps = '- run: curl -H @- https://graph.microsoft.com/v1.0/users <<<"Authorization: Bearer $TOKEN"\n  env:\n    TOKEN: x\n'
    expect(await workflowErrors('snippet.yml', inJob(steps))).not.toEqual([])
  })

  // A Graph call without its permission is a 403 in the user's workflow: each source names, in a
  // comment by the call, the application permission it needs (Microsoft Graph API reference,
  // "Permissions" of each call), and its token step's required-roles asks for it.
  it.each(sources.filter(([, content]) => /graph\.microsoft\.com\/v1\.0|Get-Mg/.test(content)))(
    '%s says which permission each Graph call needs, and requires it',
    (_, content) => {
      // Comments joined across their lines, so a sentence may wrap.
      const comments = content.replace(/\n\s*(#|\/\/)/g, ' ')
      const named = [...comments.matchAll(/needs?\s+the\s+application\s+permission\s+([\w.]*\w)/g)].map(m => m[1])
      const calls = content.match(/https:\/\/graph\.microsoft\.com\/v1\.0[^\s'"`]*|Get-Mg\w+/g) ?? []
      expect(named.length).toBeGreaterThan(0)
      expect(calls.length).toBeGreaterThan(0)
      for (const step of stepsOf(content).filter(s => s.uses && isThisAction(s.uses))) {
        const required = String(step.with?.['required-roles'] ?? '').split(/[\s,]+/)
        for (const permission of named) expect([permission, required.includes(permission)]).toEqual([permission, true])
      }
    }
  )

  it.each(sources)('%s sets permissions at the top, least privilege per job', (_, content) => {
    expect((parseYaml(content) as Workflow).permissions).toBeDefined()
  })

  it.each(sources)('%s pins every other action by full commit SHA', (_, content) => {
    const others = stepsOf(content).flatMap(step => (step.uses && !isThisAction(step.uses) ? [step.uses] : []))
    for (const uses of others) expect(uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/)
  })

  it.each(sources)('%s passes this action only inputs that action.yml declares, and every required one', (_, content) => {
    const required = Object.keys(action.inputs).filter(name => action.inputs[name].required)
    for (const step of stepsOf(content).filter(s => s.uses && isThisAction(s.uses))) {
      const given = Object.keys(step.with ?? {})
      expect(given.filter(name => !(name in action.inputs))).toEqual([])
      expect(required.filter(name => !given.includes(name))).toEqual([])
    }
  })
})

describe('README', () => {
  // | `name` | required | default | description |
  const rows = (heading: string) => {
    const section = readme.split(/^## /m).find(s => s.startsWith(heading)) ?? ''
    return [...section.matchAll(/^\|\s*`([\w-]+)`\s*\|(.*)\|$/gm)].map(m => [m[1], m[2].split('|').map(c => c.trim())] as const)
  }

  it('lists every input of action.yml, with its required flag and default, and no other', () => {
    const table = rows('Inputs')
    expect(table.map(([name]) => name)).toEqual(Object.keys(action.inputs))
    for (const [name, [required, defaultValue]] of table) {
      const spec = action.inputs[name]
      expect([name, required]).toEqual([name, spec.required ? 'yes' : 'no'])
      if (spec.default !== undefined) expect([name, defaultValue]).toEqual([name, `\`${spec.default}\``])
      else expect(defaultValue).not.toMatch(/^`[^`]*`$/)
    }
  })

  it('lists every output of action.yml and no other', () => {
    expect(rows('Outputs').map(([name]) => name)).toEqual(Object.keys(action.outputs))
  })

  // The since column, the last: empty for what 1.0.0 had, else the version that added it, whose CHANGELOG
  // section names it.
  it.each(['Inputs', 'Outputs'])('%s: says the version each one first appeared in, when newer than 1.0.0', heading => {
    const changelog = read('CHANGELOG.md')
    const section = (version: string) => changelog.split(/^## /m).find(s => s.startsWith(`[${version}]`)) ?? ''
    const table = rows(heading)
    const since = table.map(([name, cells]) => [name, cells[cells.length - 1]] as const).filter(([, version]) => version !== '')
    expect(since.length).toBeGreaterThan(0)
    for (const [name, version] of since) {
      expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)])
      expect([name, section(version)]).toEqual([name, expect.stringContaining(`\`${name}\``)])
    }
    expect(since.map(([, version]) => version)).not.toContain('1.0.0')
  })
})

describe('docs/development.md', () => {
  it('gives the whole set-up as npm ci, npm start and npm test, each on its own line', () => {
    const development = read('docs/development.md')
    for (const command of ['npm ci', 'npm start', 'npm test']) expect(development).toMatch(new RegExp(`^${command}$`, 'm'))
  })
})

describe('version', () => {
  it('is the same in package.json, the User-Agent and the CHANGELOG', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string }
    const lock = JSON.parse(read('package-lock.json')) as { version: string; packages: Record<string, { version?: string }> }
    expect(VERSION).toBe(pkg.version)
    expect([lock.version, lock.packages[''].version]).toEqual([pkg.version, pkg.version])
    // A released version has a date; nothing is left unreleased under it.
    expect(read('CHANGELOG.md')).toMatch(new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'))
  })

  it('is the one the README says it documents', () => {
    expect(readme.replace(/\s+/g, ' ')).toContain(`This page documents version ${VERSION}.`)
  })
})

// The Markdown pages: every relative link (and #anchor) resolves, and every error message that
// troubleshooting.md quotes is one the action prints.
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { ROOT, headingAnchors, markdownFiles, readRepoFile, relativeLinks } from '../helpers/markdown.js'

const pages = markdownFiles()
// The code files under a folder, in its subfolders too.
const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap(name => {
    const path = `${dir}/${name}`
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : /\.(ts|mjs)$/.test(path) ? [path] : []
  })

function brokenLinks(page: string): string[] {
  return relativeLinks(readRepoFile(page)).filter(target => {
    const [path, anchor] = target.split('#') as [string, string | undefined]
    const file = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), decodeURI(path)))
    if (file.startsWith('..') || !existsSync(join(ROOT, file))) return true
    if (anchor === undefined) return false
    return !file.endsWith('.md') || !headingAnchors(readRepoFile(file)).has(anchor)
  })
}

describe('links between the Markdown files', () => {
  it('finds the pages: the README, the docs/ pages and the contributor files', () => {
    expect(pages).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', 'docs/troubleshooting.md'])
    )
  })

  it.each(pages)('%s: every relative link and anchor resolves', page => {
    expect(brokenLinks(page)).toEqual([])
  })

  it('reports a missing file, a missing anchor and a link out of the repository, so the check can fail', () => {
    expect(headingAnchors('# A `b`: c\n## A `b`: c\n```\n# not a heading\n```\n')).toEqual(new Set(['a-b-c', 'a-b-c-1']))
    expect(relativeLinks('[a](docs/nope.md) [b](#x) `[c](d.md)` [e](https://example.com)')).toEqual(['docs/nope.md', '#x'])
  })

  it('gives every docs/ page a link from the README', () => {
    const fromReadme = new Set(relativeLinks(readRepoFile('README.md')).map(target => target.split('#')[0]))
    // startup-profile.md is linked from performance.md.
    const docs = pages.filter(page => page.startsWith('docs/') && page !== 'docs/startup-profile.md')
    expect(docs.filter(page => !fromReadme.has(page))).toEqual([])
  })
})

// Code, examples and workflows point to a page as README.md#anchor or docs/page.md#anchor.
const filesIn = (dir: string) => readdirSync(join(ROOT, dir)).map(name => `${dir}/${name}`)
const pointerSources = () => [
  'action.yml',
  ...sources('src'),
  ...sources('scripts'),
  ...filesIn('examples'),
  ...filesIn('.github/workflows')
]
const pointers = (text: string) => [...text.matchAll(/\b((?:docs\/[\w-]+|README|CONTRIBUTING|SECURITY|CHANGELOG)\.md)(?:#([\w-]+))?/g)]

describe('pointers to the docs from the code, the examples and the workflows', () => {
  const found = pointerSources().flatMap(file => pointers(readRepoFile(file)).map(([text, page, anchor]) => ({ file, text, page, anchor })))

  it('finds them, in the form it checks', () => {
    expect(found.length).toBeGreaterThanOrEqual(4)
    expect(pointerSources().filter(file => /see (the )?README\b(?!\.md)/.test(readRepoFile(file)))).toEqual([])
  })

  it('points only to pages and anchors that exist', () => {
    const broken = found.filter(
      ({ page, anchor }) => !existsSync(join(ROOT, page)) || (anchor !== undefined && !headingAnchors(readRepoFile(page)).has(anchor))
    )
    expect(broken).toEqual([])
  })
})

// Convention: in troubleshooting.md's "By symptom" table, the first cell's `code spans` are
// messages as the action prints them, with `…` or <name> where the message has a value. Each fixed
// part between them must be in src/, where a message is a string or a template literal, possibly
// cut into pieces joined with '+' across lines.
// 'one part ' +\n 'the next' reads as one string.
const joinPieces = (source: string) => source.replace(/['`]\s*\+\s*\n?\s*['`]/g, '').replace(/\\'/g, "'")
const sourceText = joinPieces(
  sources('src')
    .filter(path => path.endsWith('.ts'))
    .map(readRepoFile)
    .join('\n')
)

const symptomTable =
  readRepoFile('docs/troubleshooting.md')
    .split(/^## /m)
    .find(s => s.startsWith('By symptom')) ?? ''
const quoted = [...symptomTable.matchAll(/^\| (.*?) \|/gm)]
  .flatMap(([, cell]) => [...cell.matchAll(/`([^`]+)`/g)].map(m => m[1]))
  .filter(text => /\s/.test(text))
const fixedParts = (message: string) =>
  message
    .split(/…|<[\w :-]+>/)
    .map(part => part.replace(/^[\s.,:;]+|[\s.,:;]+$/g, ''))
    .filter(part => part.length > 3)
const missingParts = (message: string, text: string) => fixedParts(message).filter(part => !text.includes(part))

describe('error messages quoted in troubleshooting.md', () => {
  it('quotes messages', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(20)
  })

  it.each(quoted)('`%s` is printed by the action', message => {
    expect(fixedParts(message).length).toBeGreaterThan(0)
    expect(missingParts(message, sourceText)).toEqual([])
  })

  it('finds a reworded message missing, so the check can fail', () => {
    expect(missingParts('Timed out: no token within <seconds> s', 'Timed out: no token at all within')).toEqual([
      'Timed out: no token within'
    ])
    expect(missingParts('Stopped after <n attempts>: the next', joinPieces("'Stopped after ' +\n  '3'"))).toEqual(['the next'])
    expect(missingParts('Stopped after <n attempts>', joinPieces("'Stopped after ' +\n  '3'"))).toEqual([])
  })
})

// The directory this test is in, so that a moved test fails here rather than pass on nothing.
it('runs from __tests__/unit', () => {
  expect(dirname(import.meta.filename).endsWith(join('__tests__', 'unit'))).toBe(true)
})

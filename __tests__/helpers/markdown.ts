// The repository's Markdown files and what the docs tests read from them: fenced blocks, relative
// links and the anchors GitHub makes of headings.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', '.git', '.bench'])

/** Every Markdown file of the repository, as a path relative to its root with '/' separators. */
export function markdownFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap(entry => {
      if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : markdownFiles(join(dir, entry.name))
      return entry.name.endsWith('.md') ? [relative(ROOT, join(dir, entry.name)).split('\\').join('/')] : []
    })
    .sort()
}

export const readRepoFile = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** The content of every ```yaml block. */
export const yamlBlocks = (markdown: string) => [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map(m => m[1])

/** The text outside fenced blocks and inline code, where a link is a link. */
export const prose = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')

/** Targets of inline links, [text](target), other than web and mail addresses. */
export const relativeLinks = (markdown: string) =>
  [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map(m => m[1]).filter(target => !/^(https?|mailto):/.test(target))

/**
 * The anchors GitHub gives a file's headings: lower case, punctuation but '-' and '_' dropped,
 * spaces as '-', and '-1', '-2', … after a repeated one (the slugger GitHub uses, github-slugger).
 */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.*)$/gm)) {
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

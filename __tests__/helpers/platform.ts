import { it } from '@jest/globals'

const NAMES: Partial<Record<NodeJS.Platform, string>> = { win32: 'Windows', darwin: 'macOS', linux: 'Linux' }

type TestFn = Parameters<typeof it>[1]

/**
 * `it`, except on the given OS, where the test is reported as skipped, with the reason in its
 * name, rather than left out silently.
 */
export function itExceptOn(platform: NodeJS.Platform, reason: string): (name: string, fn: TestFn) => void {
  if (process.platform !== platform) return (name, fn) => it(name, fn)
  return (name, fn) => it.skip(`${name} (skipped on ${NAMES[platform] ?? platform}: ${reason})`, fn)
}

/** `it` on the given OS only; elsewhere reported as skipped, with the reason in its name. */
export function onlyOn(platform: NodeJS.Platform, reason: string): (name: string, fn: TestFn) => void {
  if (process.platform === platform) return (name, fn) => it(name, fn)
  return (name, fn) => it.skip(`${name} (${NAMES[platform] ?? platform} only: ${reason})`, fn)
}

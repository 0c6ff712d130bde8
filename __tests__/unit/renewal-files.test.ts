import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createRenewalFiles, removeRenewalFiles, writeAtomically, writeTokenFiles } from '../../src/renewal/files.js'
import { readStatus, recordFailure, newStatus, writeStatus } from '../../src/renewal/status.js'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { itExceptOn } from '../helpers/platform.js'
import { START } from '../helpers/fake-io.js'

let base: string
beforeEach(() => {
  base = makeTempDir('files-')
})
afterEach(() => removeTempDir(base))

describe('the renewal files', () => {
  itExceptOn('win32', 'Windows ignores POSIX modes; RUNNER_TEMP has the ACL of the runner folder')(
    'sit in a folder only the owner can open, each readable by the owner alone',
    () => {
      const files = createRenewalFiles(base)
      writeTokenFiles(files, 'eyJ0eXAi.first.token')
      expect(statSync(files.dir).mode & 0o777).toBe(0o700)
      expect(statSync(files.token).mode & 0o777).toBe(0o600)
      expect(statSync(files.header).mode & 0o777).toBe(0o600)
    }
  )

  it('hold the token alone and the header line curl -H @file sends', () => {
    const files = createRenewalFiles(base)
    writeTokenFiles(files, 'eyJ0eXAi.first.token')
    writeTokenFiles(files, 'eyJ0eXAi.second.token')
    expect(readFileSync(files.token, 'utf8')).toBe('eyJ0eXAi.second.token')
    expect(readFileSync(files.header, 'utf8')).toBe('Authorization: Bearer eyJ0eXAi.second.token')
    // Nothing but the files themselves: no temporary file is left beside them.
    expect(readdirSync(files.dir).sort()).toEqual(['authorization-header', 'token'])
  })

  it('are never written once their folder is removed: a late renewal leaves no token behind', () => {
    const files = createRenewalFiles(base)
    expect(removeRenewalFiles(files.dir, base)).toBe(true)
    expect(() => writeAtomically(files.token, 'eyJ0eXAi.late.token')).toThrow()
    expect(readdirSync(base)).toEqual([])
  })

  it('are removed only from a folder this module made, directly in RUNNER_TEMP', () => {
    const foreign = join(base, 'work')
    mkdirSync(foreign)
    expect(removeRenewalFiles(foreign, base)).toBe(false)
    expect(removeRenewalFiles(base, join(base, '..'))).toBe(false)
    const files = createRenewalFiles(base)
    expect(removeRenewalFiles(files.dir, join(base, 'work'))).toBe(false)
    expect(readdirSync(base).sort()).toEqual([files.dir.slice(base.length + 1), 'work'].sort())
  })
})

describe('the status file', () => {
  it('reads back what was written, and keeps the last 20 failures with a count of all', () => {
    const files = createRenewalFiles(base)
    const status = newStatus(1234, START)
    for (let i = 1; i <= 25; i++) recordFailure(status, { at: new Date(START + i).toISOString(), what: 'token', reason: `failure ${i}` })
    writeStatus(files.status, status)
    const read = readStatus(files.status)!
    expect(read.failureCount).toBe(25)
    expect(read.failures.map(f => f.reason)).toEqual(Array.from({ length: 20 }, (_, i) => `failure ${i + 6}`))
    expect(read.lastError).toBe('failure 25')
  })

  it('is nothing when missing or not ours', () => {
    const files = createRenewalFiles(base)
    expect(readStatus(files.status)).toBeUndefined()
    writeAtomically(files.status, '{"renewals": 3}')
    expect(readStatus(files.status)).toBeUndefined()
  })
})

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

export type SmallFile = { text: string } | { problem: 'missing' | 'unreadable' | 'not a regular file' | 'too large'; code?: string }

/**
 * A small file the action must read synchronously (a token file, Azure Arc's challenge file), read
 * so that nothing it points at can block or flood the process: opened without blocking (a FIFO or
 * a device would otherwise wait forever), refused unless it is a regular file, and read only up to
 * `maxBytes` + 1, since /proc files report a size of 0 whatever they hold.
 */
export function readSmallFile(path: string, maxBytes: number): SmallFile {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NONBLOCK))
  } catch (error) {
    const code = (error as { code?: string }).code
    return code === 'ENOENT'
      ? { problem: 'missing', code }
      : code === 'EISDIR'
        ? { problem: 'not a regular file', code }
        : { problem: 'unreadable', code }
  }
  try {
    if (!fstatSync(fd).isFile()) return { problem: 'not a regular file' }
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0;) length += n
    return length > maxBytes ? { problem: 'too large' } : { text: buffer.subarray(0, length).toString('utf8') }
  } catch (error) {
    return { problem: 'unreadable', code: (error as { code?: string }).code }
  } finally {
    closeSync(fd)
  }
}

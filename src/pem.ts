/** One `-----BEGIN X-----` … `-----END X-----` block of PEM text. */
export interface PemBlock {
  label: string
  /** The whole block, normalised to \n line endings, as node:crypto accepts it. */
  text: string
}

// A boundary line of RFC 7468 §2 (labels as OpenSSL writes them: capitals, digits, spaces).
const BOUNDARY = /^-----(BEGIN|END) ([A-Z0-9 ]+)-----$/

/**
 * The PEM blocks in any order, tolerating \r\n, indentation and text around them. One pass over
 * the lines, each matched on its own: a search for each BEGIN's END over the rest of the text
 * takes time quadratic in the number of BEGIN lines without an END.
 */
export function parsePemBlocks(pem: string): PemBlock[] {
  const blocks: PemBlock[] = []
  let open: { label: string; lines: string[] } | undefined
  for (const raw of pem.split(/\r\n|\r|\n/)) {
    const line = raw.trim()
    const boundary = BOUNDARY.exec(line)
    if (boundary?.[1] === 'BEGIN') {
      // A BEGIN inside an open block starts over: the open one has no END.
      open = { label: boundary[2], lines: [line] }
    } else if (open) {
      // Each line as written, blank ones included: a legacy encrypted key needs the blank line
      // after its Proc-Type and DEK-Info headers (RFC 1421 §4.4) to be read at all.
      open.lines.push(line)
      if (boundary && boundary[2] === open.label) {
        blocks.push({ label: open.label, text: `${open.lines.join('\n')}\n` })
        open = undefined
      }
    }
  }
  return blocks
}

/**
 * The base64 lines of every private-key block, to be masked one by one: the runner masks a
 * secret only where it appears whole, and a key is printed line by line when it leaks. Lines
 * shorter than 8 characters (a block's tail) are left out: masking them would blank out
 * unrelated words across the log, and they reveal nothing on their own.
 */
export function privateKeyLines(pem: string): string[] {
  return parsePemBlocks(pem)
    .filter(block => block.label.endsWith('PRIVATE KEY'))
    .flatMap(block => block.text.split('\n'))
    .filter(line => line.length >= 8 && !line.startsWith('-----') && !line.includes(':'))
}

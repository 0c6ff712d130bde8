/** One `-----BEGIN X-----` … `-----END X-----` block of PEM text. */
export interface PemBlock {
  label: string
  /** The whole block, normalised to \n line endings, as node:crypto accepts it. */
  text: string
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

/** The PEM blocks in any order, tolerating \r\n, indentation and text around them. */
export function parsePemBlocks(pem: string): PemBlock[] {
  const normalised = pem.replace(/\r\n?/g, '\n')
  return [...normalised.matchAll(BLOCK)].map(match => ({
    label: match[1],
    // Each line as written, blank ones included: a legacy encrypted key needs the blank line
    // after its Proc-Type and DEK-Info headers (RFC 1421 §4.4) to be read at all.
    text: match[0]
      .split('\n')
      .map(line => line.trim())
      .join('\n')
      .concat('\n')
  }))
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

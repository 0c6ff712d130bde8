/** What went wrong, as a stable value that retry decisions and tests can rely on. */
export type ErrorCode =
  | 'invalid-input' // an input is missing or malformed; nothing was sent
  | 'entra-rejected' // Entra ID answered with an OAuth error
  | 'http-error' // a non-OAuth HTTP failure (gateway error, 404 from a wrong host, ...)
  | 'bad-response' // a 2xx that is not the JSON we need
  | 'network' // connection refused, reset, DNS, TLS
  | 'timeout' // an attempt or the whole acquisition ran out of time
  | 'id-token' // the GitHub OIDC ID token or a federated token file could not be had
  | 'managed-identity' // the machine's managed identity endpoint refused
  | 'missing-roles' // the token lacks a permission listed in 'required-roles'
  | 'runner' // the runner's environment is not what an action needs (GITHUB_OUTPUT)

export interface ActionErrorOptions {
  /** The action input the user should change, quoted as in action.yml. */
  input?: string
  /** What to do about it, in one or two sentences. */
  hint?: string
  /** Facts for support and the sign-in logs: trace and correlation IDs, what was presented. */
  details?: string[]
  /** Whether trying again could succeed. */
  transient?: boolean
  /** How long the server asked us to wait before trying again. */
  retryAfterMs?: number
  /**
   * The server is known to be away for a while (IMDS answers 410 while it updates): try again every
   * `everyMs`, for up to `upToMs` of waiting in all, without using up 'max-attempts'.
   */
  waitOut?: { everyMs: number; upToMs: number }
  /** The AADSTS code, when Entra ID gave one. */
  entraCode?: number
  /** The host was never reached (DNS, refused, unroutable): nothing there answered at all. */
  unreachable?: boolean
  cause?: unknown
}

/**
 * The one error type of the action: thrown where a problem is detected, rendered once at the
 * edge (src/main.ts). Its message and hint never contain a secret.
 */
export class ActionError extends Error {
  readonly code: ErrorCode
  readonly input?: string
  readonly hint?: string
  readonly details: string[]
  readonly transient: boolean
  readonly retryAfterMs?: number
  readonly waitOut?: { everyMs: number; upToMs: number }
  readonly entraCode?: number
  readonly unreachable: boolean

  constructor(code: ErrorCode, message: string, options: ActionErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ActionError'
    this.code = code
    this.input = options.input
    this.hint = options.hint
    this.details = options.details ?? []
    this.transient = options.transient ?? false
    this.retryAfterMs = options.retryAfterMs
    this.waitOut = options.waitOut
    this.entraCode = options.entraCode
    this.unreachable = options.unreachable ?? false
  }

  /** The text of the one `::error::` annotation: message, hint, then details. */
  render(): string {
    return [this.hint ? `${this.message} ${this.hint}` : this.message, ...this.details].join('\n')
  }
}

/** Several bad inputs found at once, so the user can fix them all in one go. */
export class InputErrors extends Error {
  readonly errors: ActionError[]
  constructor(errors: ActionError[]) {
    super(errors.map(e => e.message).join('\n'))
    this.name = 'InputErrors'
    this.errors = errors
  }
}

export function invalidInput(input: string, message: string, hint?: string): ActionError {
  return new ActionError('invalid-input', message, { input, hint })
}

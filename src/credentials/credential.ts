/** What a credential is asked for, once per attempt. */
export interface AuthenticateRequest {
  /** The token URL the request goes to: a certificate assertion's `aud`. */
  tokenUrl: string
  /** Aborts at the attempt's time limit or the deadline. */
  signal: AbortSignal
}

/** How the user fixes a rejection, in this credential's terms. */
export interface RejectionNotes {
  /** Replaces the generic hint when set. */
  hint?: string
  /** What was presented, to compare with the app registration. Never a secret. */
  details: string[]
}

/**
 * One way of proving the app's identity to the Entra token endpoint. Each kind (secret,
 * certificate, federated assertion) is a file of its own behind this shape; the token request
 * does not know which one it holds.
 */
export interface Credential {
  /** For logs, after "with": 'a client secret', 'a certificate', ... */
  readonly label: string
  /**
   * The form fields that authenticate the client. Called for every attempt, so an assertion is
   * always fresh; each assertion is masked before it is returned.
   */
  authenticate(request: AuthenticateRequest): Promise<Record<string, string>>
  /** Adds what this credential presented to an explanation of the AADSTS code. */
  notesOnRejection(code: number | undefined): RejectionNotes
}

/** RFC 7521 §4.2: how an assertion is sent. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * Runs one attempt function under the run's retry budget and deadline. Calls with the same `what`
 * share one count of attempts, so a request made inside every token-request attempt (the ID
 * token) is still made at most 'max-attempts' times in the run.
 */
export type Retry = <T>(what: string, attempt: (signal: AbortSignal) => Promise<T>) => Promise<T>

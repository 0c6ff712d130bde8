import { describe, expect, it } from '@jest/globals'
import { clientSecret } from '../../src/credentials/client-secret.js'
import { entraCode, explainEntraError, isTransientRejection, readEntraError } from '../../src/entra-errors.js'
import { CLIENT, fakeIo, SECRET, TENANT } from '../helpers/fake-io.js'
import { findLeaks } from '../../scripts/runner.mjs'
import { entraError } from '../fixtures/entra-errors.js'

/** Reads an answer as the token request does, with no secret registered. */
const readError = (body: Record<string, unknown> | undefined) => readEntraError(body, text => text)

const context = {
  clientId: CLIENT,
  tenantId: TENANT,
  cloud: 'public',
  scope: 'https://graph.microsoft.com/.default',
  clientRequestId: 'req-1',
  host: 'login.microsoftonline.com'
}

describe('explainEntraError', () => {
  it.each([
    [7000215, 'client-secret', /secret is wrong/, /Value .* not its Secret ID/],
    [7000222, 'client-secret', /expired/, /Create a new client secret .*az ad app credential reset/],
    [700016, 'client-id', /No app with this client ID/, /Application \(client\) ID, not the Object ID/],
    [90002, 'tenant-id', /tenant was not found/, /No tenant in the public cloud has the GUID in 'tenant-id' \(72f988bf-/],
    [900023, 'tenant-id', /neither a GUID nor a valid domain/, /Directory \(tenant\) ID/],
    [1002012, 'scope', /not a resource's \/.default/, /\/\.default/],
    [70011, 'scope', /scope is not valid/, /\/\.default/],
    [500011, 'scope', /resource in the scope does not exist/, /'cloud'/],
    [7000112, undefined, /disabled/, /az ad sp update --id .* accountEnabled=true/],
    [53003, undefined, /Conditional Access/, /Sign-in logs/],
    [90038, 'cloud', /another Microsoft cloud/, /usgov/]
  ])('explains AADSTS%s in terms of the input to fix', (code, input, summary, fix) => {
    const error = explainEntraError(400, entraError(code, 'invalid_client', 'Entra text.'), context)
    expect(error.code).toBe('entra-rejected')
    expect(error.entraCode).toBe(code)
    expect(error.input).toBe(input)
    expect(error.message).toMatch(new RegExp(`^Entra ID refused the token request \\(AADSTS${code}, HTTP 400\\): `))
    expect(error.message).toMatch(summary)
    expect(error.hint).toMatch(fix)
  })

  it('gives what support asks for: trace ID, correlation ID, timestamp and our client-request-id', () => {
    const rendered = explainEntraError(401, entraError(7000215, 'invalid_client', 'Invalid client secret provided.'), context).render()
    expect(rendered.split('\n').slice(1)).toEqual([
      'Entra ID said: AADSTS7000215: Invalid client secret provided.',
      'Trace ID: 0b3c7d4e-1111-2222-3333-444455556666',
      'Correlation ID: 9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff',
      'Timestamp: 2026-11-25 10:00:00Z',
      'client-request-id: req-1'
    ])
  })

  it("shows Entra's own description for an unknown code", () => {
    const error = explainEntraError(400, entraError(9999999, 'invalid_request', 'Something new went wrong.'), context)
    expect(error.message).toBe('Entra ID refused the token request (AADSTS9999999, HTTP 400): AADSTS9999999: Something new went wrong.')
    expect(error.hint).toBeUndefined()
  })

  it('classifies on the AADSTS code, not the HTTP status', () => {
    expect(explainEntraError(400, entraError(90033, 'temporarily_unavailable', 'busy'), context).transient).toBe(true)
    expect(explainEntraError(503, entraError(7000215, 'invalid_client', 'bad'), context).transient).toBe(false)
  })

  it('tells the Secret ID mistake apart when the secret has the shape of a GUID', () => {
    const notes = clientSecret('3f2504e0-4f89-11d3-9a0c-0305e82c3301').notesOnRejection
    const error = explainEntraError(401, entraError(7000215, 'invalid_client', 'bad'), context, { notesOnRejection: notes })
    expect(error.hint).toMatch(/shape of a GUID: that is the secret's Secret ID/)
    expect(
      explainEntraError(401, entraError(7000215, 'invalid_client', 'x'), context, {
        notesOnRejection: clientSecret(SECRET).notesOnRejection
      }).hint
    ).toMatch(/not its Secret ID/)
  })
})

describe('explainEntraError, beyond the known codes', () => {
  it("calls a domain a domain when AADSTS90002 is about one, and names 'tenant-id'", () => {
    const error = explainEntraError(400, entraError(90002, 'invalid_request', 'Tenant not found.'), {
      ...context,
      tenantId: 'contso.onmicrosoft.com'
    })
    expect(error.input).toBe('tenant-id')
    expect(error.hint).toMatch(/^No tenant has the domain in 'tenant-id' \(contso\.onmicrosoft\.com\): check it for typos/)
  })

  it("prints the trace ID, correlation ID and timestamp once, though Entra's description repeats them", () => {
    const rendered = explainEntraError(400, entraError(90002, 'invalid_request', 'Tenant not found.'), context).render()
    expect(rendered.match(/Trace ID/g)).toHaveLength(1)
    expect(rendered.match(/Correlation ID/g)).toHaveLength(1)
    expect(rendered.match(/Timestamp/g)).toHaveLength(1)
  })

  it("names the host, not Entra ID, when an OAuth error carries none of Entra's marks", () => {
    const body = readError({ error: 'invalid_request', error_description: 'bad request from gateway' })!
    expect(explainEntraError(400, body, { ...context, host: 'gw.example.net' }).message).toBe(
      'The token endpoint at gw.example.net refused the token request (invalid_request, HTTP 400): bad request from gateway'
    )
  })
})

describe('readEntraError', () => {
  it('puts each field of the answer on one line, so server text cannot add lines to the message', () => {
    const body = readError({
      error: 'invalid_client',
      error_codes: [7000215],
      error_description: 'AADSTS7000215: Bad.\rRun this: az ad app credential reset\u2028now',
      trace_id: 'abc\nGot a token for app x',
      correlation_id: 'c\u0085d',
      timestamp: 't\r\nu'
    })!
    const rendered = explainEntraError(401, body, context).render()
    expect(rendered).toContain('Entra ID said: AADSTS7000215: Bad. Run this: az ad app credential reset now')
    expect(rendered).toContain('Trace ID: abc Got a token for app x')
    expect(rendered.split('\n').filter(l => l.startsWith('Got a token'))).toEqual([])
  })

  it('treats fields of an unexpected type as absent instead of failing on them', () => {
    const body = readError({
      error: 'invalid_client',
      error_description: 42,
      error_codes: 'AADSTS7000215',
      trace_id: { a: 1 },
      timestamp: []
    })!
    expect(body).toEqual({
      error: 'invalid_client',
      error_description: '',
      error_codes: [],
      timestamp: '',
      trace_id: '',
      correlation_id: ''
    })
    expect(explainEntraError(401, body, context).message).toBe(
      'The token endpoint at login.microsoftonline.com refused the token request (invalid_client, HTTP 401): invalid_client'
    )
  })

  it('shows no part of a secret a gateway echoed, wherever the 2000-character cut falls in it', () => {
    const io = fakeIo()
    const formEncoded = new URLSearchParams({ v: SECRET }).toString().slice(2)
    io.mask(SECRET)
    io.mask(formEncoded)
    const prefix = 'AADSTS7000215: Invalid client secret provided. Request: client_id=x&grant_type=client_credentials&client_secret='
    for (let offset = 0; offset <= formEncoded.length; offset++) {
      const padding = 'p'.repeat(2000 - prefix.length - offset)
      const body = readEntraError({ error: 'invalid_client', error_description: `${padding}${prefix}${formEncoded}&scope=x` }, io.redact)!
      const rendered = explainEntraError(401, body, context).render()
      expect(rendered).toContain('Entra ID said: ')
      expect(findLeaks({ stdout: rendered }, { secret: SECRET })).toEqual([])
      expect(rendered).not.toContain(formEncoded.slice(0, 4))
    }
  })

  it('bounds every field it prints, though each is a megabyte', () => {
    const huge = 'A'.repeat(1024 * 1024)
    const words = 'word '.repeat(200_000)
    const body = readEntraError(
      { error: huge, error_description: words, error_codes: [9999999], trace_id: words, correlation_id: huge, timestamp: words },
      text => text
    )!
    const rendered = explainEntraError(400, body, context).render()
    expect(rendered.length).toBeLessThan(3000)
    expect(rendered).toMatch(
      /^Entra ID refused the token request \(AADSTS9999999, HTTP 400\): (word ){399}word…\nTrace ID: (word ){19}word…\n/
    )
    // A field that is one token is dropped whole, not shown in part.
    expect(rendered).toContain('Correlation ID: …')
  })

  it('keeps only whole numbers from error_codes', () => {
    expect(readError({ error: 'x', error_codes: ['7000215', 1.5, 700016] })!.error_codes).toEqual([700016])
  })

  it('is undefined for a body that is not an OAuth error', () => {
    expect(readError({ message: 'Bad credentials' })).toBeUndefined()
    expect(readError({ error: { code: 'x' } })).toBeUndefined()
    expect(readError(undefined)).toBeUndefined()
  })
})

describe('entraCode', () => {
  const body = (fields: Partial<{ error_codes: number[]; error_description: string }>) => ({
    error_codes: [],
    error_description: '',
    ...fields
  })
  it('reads error_codes[0], else the AADSTS number in the description', () => {
    expect(entraCode(body({ error_codes: [700016, 1] }))).toBe(700016)
    expect(entraCode(body({ error_description: 'AADSTS90002: Tenant not found' }))).toBe(90002)
    expect(entraCode(body({}))).toBeUndefined()
  })
})

describe('isTransientRejection', () => {
  const oauth = (error: string, code?: number) => ({ error, error_codes: code === undefined ? [] : [code], error_description: '' })

  it('retries Entra service errors and throttling by their AADSTS code, whatever the status', () => {
    for (const code of [50000, 50033, 90006, 90012, 90024, 90033, 90090, 90055, 50196]) {
      expect(isTransientRejection(400, oauth('invalid_request', code))).toBe(true)
    }
  })

  it('lets a known final AADSTS code decide, even on a 5xx', () => {
    for (const code of [7000215, 700016, 90002, 1002012, 53003, 70021])
      expect(isTransientRejection(503, oauth('invalid_client', code))).toBe(false)
  })

  it('without a known code, retries 408, 429, 5xx, temporarily_unavailable and server_error (RFC 6749 §5.2)', () => {
    expect(isTransientRejection(503, oauth('temporarily_unavailable'))).toBe(true)
    expect(isTransientRejection(500, oauth('server_error'))).toBe(true)
    expect(isTransientRejection(429, oauth('invalid_request'))).toBe(true)
    expect(isTransientRejection(408, oauth('invalid_request'))).toBe(true)
    expect(isTransientRejection(502, oauth('invalid_request', 1234567))).toBe(true)
    expect(isTransientRejection(400, oauth('temporarily_unavailable'))).toBe(true)
  })

  it('keeps every other 4xx final', () => {
    for (const status of [400, 401, 403, 404, 409]) expect(isTransientRejection(status, oauth('invalid_request'))).toBe(false)
  })
})

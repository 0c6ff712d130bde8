import { afterEach, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import { run } from '../../src/run.js'
import { USER_AGENT } from '../../src/version.js'
import { findLeaks } from '../../scripts/runner.mjs'
import { CLIENT, fakeIo, fakeJwt, SECRET, TENANT } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'

// A managed identity endpoint's error, printed as the user reads it. App Service answers
// { statusCode, message, correlationId } (learn.microsoft.com, "Managed identities for App Service
// and Azure Functions", REST endpoint reference); a hostile or broken one may make each a megabyte,
// or echo the request's X-IDENTITY-HEADER, which is a secret.
const ENDPOINT = 'http://localhost:42356'
const HEADER = 'b7f3c0de9a8e4d2f8c1b0a9e8d7c6b5a'

afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})

async function failure(body: Record<string, unknown>): Promise<{ error: ActionError; printed: string }> {
  nock(ENDPOINT).get('/msi/token').query(true).reply(400, body)
  const io = fakeIo(
    { 'managed-identity': 'system', 'max-attempts': '1' },
    { env: { IDENTITY_ENDPOINT: `${ENDPOINT}/msi/token`, IDENTITY_HEADER: HEADER }, http: createHttp(USER_AGENT) }
  )
  const error = await rejection(io)
  return { error, printed: `${error.render()}\n${io.printed()}` }
}

/** The ActionError a run ends with. */
async function rejection(io: ReturnType<typeof fakeIo>): Promise<ActionError> {
  const error = await run(io).then(
    () => undefined,
    (e: unknown) => e
  )
  if (!(error instanceof ActionError)) throw new Error(`expected an ActionError, got ${String(error)}`)
  return error
}

describe("a managed identity endpoint's error", () => {
  it('is bounded, field by field, though each is hundreds of kilobytes', async () => {
    const { error } = await failure({
      statusCode: 400,
      message: `Something went wrong: ${'word '.repeat(80_000)}`,
      correlationId: `corr ${'id '.repeat(80_000)}`
    })
    const rendered = error.render()
    expect(rendered.length).toBeLessThan(2500)
    expect(rendered).toMatch(/^The managed identity endpoint refused the token request \(HTTP 400\): Something went wrong: (word )+word…$/m)
    expect(rendered).toMatch(/^Correlation ID: corr (id ){30}id…$/m)
  })

  it('shows no part of an echoed identity header, wherever the cut falls in it', async () => {
    for (const into of [1, 16, 31]) {
      const said = `Bad request; X-IDENTITY-HEADER was `
      const { printed } = await failure({
        statusCode: 400,
        message: `${said}${'p'.repeat(2000 - said.length - into)} ${HEADER} and more ${HEADER.slice(0, 20)}`,
        correlationId: `${'q'.repeat(90)} ${HEADER}`
      })
      expect(printed).toContain('refused the token request (HTTP 400): Bad request; X-IDENTITY-HEADER was ')
      expect(findLeaks({ stdout: printed }, { header: HEADER })).toEqual([])
      expect(printed).not.toContain(HEADER.slice(0, 4))
    }
  })
})

describe("a token endpoint's headers", () => {
  it('a content type of 8 KB is bounded in the error', async () => {
    nock('https://login.microsoftonline.com')
      .post(`/${TENANT}/oauth2/v2.0/token`)
      .reply(404, '<html></html>', {
        'content-type': `text/${'html '.repeat(1600)}; charset=utf-8`
      })
    const io = fakeIo(
      { 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'max-attempts': '1' },
      { http: createHttp(USER_AGENT) }
    )
    const { message } = await rejection(io)
    expect(message).toMatch(/^The token endpoint at login\.microsoftonline\.com answered HTTP 404 with 13 bytes of text\/(html )+html…\.$/)
    expect(message.length).toBeLessThan(250)
  })
})

describe('an ID token with claims of 50 KB', () => {
  it('each claim is bounded in the explanation of a rejection', async () => {
    const sub = `repo:octo-org/octo-repo:${'ref '.repeat(12_500)}`
    nock('https://pipelines.actions.example')
      .get('/idtoken/abc')
      .query(true)
      .reply(200, { value: fakeJwt({ iss: 'https://token.actions.githubusercontent.com', sub, aud: 'api://AzureADTokenExchange' }) })
    nock('https://login.microsoftonline.com')
      .post(`/${TENANT}/oauth2/v2.0/token`)
      .reply(400, entraError(70021, 'invalid_request', 'No matching federated identity record found for presented assertion.'))
    const io = fakeIo(
      { 'tenant-id': TENANT, 'client-id': CLIENT, 'max-attempts': '1' },
      {
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.example/idtoken/abc?api-version=2.0',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-xyz'
        },
        http: createHttp(USER_AGENT)
      }
    )
    const rendered = (await rejection(io)).render()
    expect(rendered).toMatch(/^ {2}subject {2}\(sub\): repo:octo-org\/octo-repo:(ref )+ref…$/m)
    expect(rendered.length).toBeLessThan(6000)
    expect(io.printed().length).toBeLessThan(2000)
  })
})

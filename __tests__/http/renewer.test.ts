import { afterEach, beforeEach, expect, it } from '@jest/globals'
import nock from 'nock'
import { readFileSync } from 'node:fs'
import { createHttp } from '../../src/http-transport.js'
import { decodeClaims } from '../../src/jwt.js'
import { readInputs } from '../../src/inputs.js'
import { createRenewalFiles, type RenewalFiles } from '../../src/renewal/files.js'
import { renewUntilStopped } from '../../src/renewal/renewer.js'
import { newStatus } from '../../src/renewal/status.js'
import { USER_AGENT } from '../../src/version.js'
import { createClientCertificate } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { CLIENT, fakeIo, fakeJwt, SECRET, START, TENANT } from '../helpers/fake-io.js'
import { entraError } from '../fixtures/entra-errors.js'

// The renewer's loop at the HTTP boundary, on the fake clock: the same acquisition as the step
// (acquire.ts), so the same retries, max-attempts and a fresh deadline for each renewal.
const LOGIN = 'https://login.microsoftonline.com'
const PATH = `/${TENANT}/oauth2/v2.0/token`
const token = (n: number) => fakeJwt({ tid: TENANT, appid: CLIENT, n })
const ok = (n: number) => [200, { token_type: 'Bearer', expires_in: 600, access_token: token(n) }] as const

let dir: string
let files: RenewalFiles
beforeEach(() => {
  dir = makeTempDir('renewer-')
  files = createRenewalFiles(dir)
})
afterEach(() => {
  removeTempDir(dir)
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})

it('renews at half the lifetime, retries a transient failure by the step rules, and stops at a refusal with the last token kept', async () => {
  const sent: number[] = []
  const scope = nock(LOGIN)
  const replies = [
    ok(1),
    // An outage that outlasts max-attempts (2): one failed renewal, tried again within a minute.
    [503, ''],
    [503, ''],
    ok(2),
    [401, entraError(7000215, 'invalid_client', 'Invalid client secret provided.')]
  ] as const
  const io = fakeIo(
    { 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'max-attempts': '2', 'keep-fresh': 'true' },
    { http: createHttp(USER_AGENT) }
  )
  for (const [status, body] of replies) {
    scope.post(PATH).reply(() => {
      sent.push(io.now() - START)
      return [status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' }]
    })
  }
  const status = newStatus(1, START)
  const stopped = await renewUntilStopped(
    { raw: readInputs(io), dir: files.dir, watchPid: 1, token: { due: START + 1000 } },
    files,
    io,
    status
  )

  expect(stopped).toMatch(/^the token can no longer be renewed: .*AADSTS7000215/)
  expect(readFileSync(files.token, 'utf8')).toBe(token(2))
  expect(readFileSync(files.header, 'utf8')).toBe(`Authorization: Bearer ${token(2)}`)
  expect(status.renewals).toEqual({ token: 2, assertion: 0 })
  expect(status.failures.map(f => f.reason)).toEqual([
    expect.stringMatching(/^Gave up after 2 attempts\. The last one: .*HTTP 503/),
    expect.stringMatching(/AADSTS7000215/)
  ])
  // 1 s: the first renewal; +300 s: half of its 600 s; the back-off between the two 503s; then
  // the retry a minute later (a quarter of the 600 s left is more); then half of the new token's life.
  expect(sent[0]).toBe(1000)
  expect(sent[1]).toBe(301_000)
  expect(sent[2] - sent[1]).toBe(750)
  expect(sent[3] - sent[2]).toBe(60_000)
  expect(sent[4] - sent[3]).toBe(300_000)
})

it("records a renewal's failure without the step's secrets, though the renewer was handed them unmasked", async () => {
  // A gateway that echoes the request during a renewal: the secret as it is, form-encoded with
  // lower-case hex, and cut short. The renewer registers the step's secrets itself (maskSecrets).
  const form = SECRET.replace('~', '%7e')
  nock(LOGIN)
    .post(PATH)
    .times(2)
    .reply(503, {
      error: 'temporarily_unavailable',
      error_description: `echo: client_secret=${form} secret=${SECRET} cut=${SECRET.slice(0, 14)}`
    })
  nock(LOGIN)
    .post(PATH)
    .reply(401, entraError(7000215, 'invalid_client', `Invalid client secret provided: ${SECRET}.`))
  const step = fakeIo({ 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'max-attempts': '2', 'keep-fresh': 'true' })
  const renewer = fakeIo({}, { http: createHttp(USER_AGENT) })
  const status = newStatus(1, START)
  await renewUntilStopped({ raw: readInputs(step), dir: files.dir, watchPid: 1, token: { due: START + 1000 } }, files, renewer, status)
  const recorded = readFileSync(files.status, 'utf8') + JSON.stringify(status)
  expect(status.failures).toHaveLength(2)
  expect(recorded).toContain('client_secret=***')
  for (let i = 0; i + 10 <= SECRET.length; i++) expect(recorded).not.toContain(SECRET.slice(i, i + 10))
})

it('once the token in the file has expired, tries an outage once a minute with one request each time', async () => {
  const sent: number[] = []
  const io = fakeIo(
    { 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': SECRET, 'keep-fresh': 'true' },
    { http: createHttp(USER_AGENT) }
  )
  const scope = nock(LOGIN)
  const reply = (status: number, body: unknown) => () => {
    sent.push(io.now() - START)
    return [status, JSON.stringify(body), { 'content-type': 'application/json' }] as [number, string, Record<string, string>]
  }
  scope
    .post(PATH)
    .times(6)
    .reply(reply(503, { error: 'temporarily_unavailable' }))
  scope.post(PATH).reply(reply(401, entraError(7000215, 'invalid_client', 'Invalid client secret provided.')))
  const status = newStatus(1, START)
  await renewUntilStopped(
    { raw: readInputs(io), dir: files.dir, watchPid: 1, token: { due: START + 1000, expiresOn: START + 2000 } },
    files,
    io,
    status
  )
  // Before expiry: the step's 4 attempts with their back-off. After: one request a minute.
  expect(sent).toEqual([1000, 1750, 3250, 6250, 66_250, 126_250, 186_250])
})

it('renews a certificate assertion every 4 minutes, with no request, until the certificate expires', async () => {
  const made = createClientCertificate(dir, 'app', { now: START, validFromDays: -1, days: 1 })
  const io = fakeIo({ 'tenant-id': TENANT, 'client-id': CLIENT, 'client-certificate': made.pem, 'azure-credentials': 'true' })
  const status = newStatus(1, START)
  const stopped = await renewUntilStopped(
    { raw: readInputs(io), dir: files.dir, watchPid: 1, assertion: { due: START + 240_000 } },
    files,
    io,
    status
  )
  // A day of renewals, no request at all (the key signs here), then the certificate's own expiry.
  expect(status.renewals).toEqual({ token: 0, assertion: 360 })
  expect(stopped).toMatch(/^the assertion can no longer be renewed: The certificate in 'client-certificate' .* expired on /)
  const last = decodeClaims(readFileSync(files.assertion, 'utf8'))
  const claims = 'claims' in last ? last.claims : {}
  expect(claims).toMatchObject({ iss: CLIENT, sub: CLIENT, aud: `${LOGIN}/${TENANT}/oauth2/v2.0/token` })
  expect(claims.iat).toBe((START + 360 * 240_000) / 1000)
  expect(Number(claims.exp) - Number(claims.iat)).toBe(600)
})

import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { annotations, DEMO, leaks, startE2e, summaryText } from '../helpers/e2e.js'

const NO_ROLES = '22222222-3333-4444-5555-666666666666'
const OPAQUE = '33333333-4444-5555-6666-777777777777'
let e2e: Awaited<ReturnType<typeof startE2e>>

beforeAll(async () => {
  e2e = await startE2e({
    apps: [
      { clientId: DEMO.clientId, displayName: DEMO.appName, secrets: [{ value: DEMO.clientSecret }], roles: DEMO.roles },
      { clientId: NO_ROLES, displayName: 'No roles yet', secrets: [{ value: DEMO.clientSecret }], roles: [] },
      { clientId: OPAQUE, displayName: 'Opaque', secrets: [{ value: DEMO.clientSecret }], roles: [], opaque: true }
    ]
  })
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

it('outputs the tenant GUID from the token, also when tenant-id was a domain, and the roles', async () => {
  const result = await e2e.run({ 'tenant-id': DEMO.domain })
  expect(result.outputs['tenant-id']).toBe(DEMO.tenantId)
  expect(result.outputs.roles).toBe('User.Read.All,Group.Read.All')
  expect(result.stdout).toMatch(/roles: User\.Read\.All, Group\.Read\.All; it expires at \S+Z \(in \d+ min\)\./)
})

it('warns when a Graph token carries no roles, saying how to grant admin consent', async () => {
  const result = await e2e.run({ 'client-id': NO_ROLES })
  expect(result.code).toBe(0)
  expect(result.outputs.roles).toBe('')
  const [warning] = annotations(result, 'warning')
  expect(warning).toMatch(
    /^The token has no roles: app 22222222-3333-4444-5555-666666666666 holds no Microsoft Graph application permission with admin consent, so Graph will answer 403 Authorization_RequestDenied\./
  )
  expect(warning).toContain('az ad app permission admin-consent --id 22222222-3333-4444-5555-666666666666')
})

it('fails naming every missing required role, and does not write the token', async () => {
  const result = await e2e.run({ 'required-roles': 'User.Read.All\nSites.ReadWrite.All, Mail.Send' })
  expect(result.code).toBe(1)
  expect(result.outputs).toEqual({})
  const [error] = annotations(result)
  expect(error).toMatch(
    /^The token lacks 2 required permissions: Sites\.ReadWrite\.All, Mail\.Send \(it has: User\.Read\.All, Group\.Read\.All\)\./
  )
  expect(error).toContain('Application permissions > Sites.ReadWrite.All, Mail.Send')
  expect(error).toContain('--query \'appRoles[?value==`"Mail.Send"`].id\'')
  expect(leaks(result, { secret: DEMO.clientSecret })).toEqual([])
})

it('passes when every required role is granted', async () => {
  const result = await e2e.run({ 'required-roles': 'group.read.all' })
  expect(result.code).toBe(0)
  expect(result.outputs.token).toBeTruthy()
})

it('writes a job summary of app, tenant, scope, roles and expiry, never the token', async () => {
  const result = await e2e.run({ 'job-summary': 'true' })
  expect(result.code).toBe(0)
  const shown = summaryText(result.summary)
  expect(shown).toContain(`| App | graph-token-action demo (${DEMO.clientId}) |`)
  expect(shown).toContain(`| Tenant | ${DEMO.tenantId} |`)
  expect(shown).toContain('| Scope | https://graph.microsoft.com/.default |')
  expect(shown).toContain('| Roles | User.Read.All, Group.Read.All |')
  expect(shown).toMatch(/\| Expires \| \S+Z \(in \d+ min\) \|/)
  expect(leaks(result, { token: result.outputs.token, secret: DEMO.clientSecret })).toEqual([])
})

it('writes no summary unless asked', async () => {
  expect((await e2e.run()).summary).toBe('')
})

it('treats an opaque token as a token: claim outputs empty, a debug line says why', async () => {
  const result = await e2e.run({ 'client-id': OPAQUE }, { RUNNER_DEBUG: '1' })
  expect(result.code).toBe(0)
  expect(result.outputs.token).toMatch(/^opaque\./)
  expect(result.outputs['tenant-id']).toBe('')
  expect(result.outputs.roles).toBe('')
  expect(result.stdout).toContain("::debug::The token's claims cannot be read: it is not a JWT (an opaque token)")
  expect(annotations(result, 'warning')).toEqual([])
  expect(leaks(result, { token: result.outputs.token })).toEqual([])
})

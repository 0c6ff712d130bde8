// The simulator behind npm start and these suites is as strict about scopes as Entra ID: a scope
// whose resource the tenant does not have fails with AADSTS500011, and each resource's token
// carries that resource's roles, never Graph's. So a mistyped scope fails here as in a workflow.
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { annotations, DEMO, startE2e } from '../helpers/e2e.js'

/** An API of the tenant's own, registered with the simulator as a test would in a real tenant. */
const OWN_API = 'api://graph-token-action-tests'

let e2e: Awaited<ReturnType<typeof startE2e>>
beforeAll(async () => {
  e2e = await startE2e({
    resources: [OWN_API],
    apps: [
      {
        clientId: DEMO.clientId,
        displayName: DEMO.appName,
        secrets: [{ value: DEMO.clientSecret }],
        roles: DEMO.roles,
        resourceRoles: { [OWN_API]: ['Tasks.Read'] }
      }
    ]
  })
})
afterAll(() => e2e.stop())
beforeEach(() => e2e.simulator.reset())

it.each(['api://does-not-exist/.default', 'https://management.azure.co/.default', 'https://managment.azure.com/.default'])(
  'refuses %s, a resource the tenant does not have, with AADSTS500011 after one request',
  async scope => {
    const result = await e2e.run({ scope })
    expect(result.code).toBe(1)
    expect(e2e.simulator.requests).toHaveLength(1)
    const [error] = annotations(result)
    expect(error).toContain('The resource in the scope does not exist in this tenant.')
    expect(error).toContain('AADSTS500011')
    expect(result.outputs.token).toBeUndefined()
  }
)

it.each([
  ['Azure Resource Manager', 'https://management.azure.com/.default'],
  ['Azure Resource Manager, named with its v1 trailing slash', 'https://management.azure.com//.default'],
  ['Key Vault', 'https://vault.azure.net/.default']
])('issues a token for %s without the Graph roles of the app', async (_, scope) => {
  const result = await e2e.run({ scope })
  expect(result.code).toBe(0)
  expect(result.outputs.token).toBeDefined()
  expect(result.outputs.roles).toBe('')
})

it("gives a token for the tenant's own API with that API's roles only", async () => {
  const result = await e2e.run({ scope: `${OWN_API}/.default` })
  expect(result.code).toBe(0)
  expect(result.outputs.roles).toBe('Tasks.Read')
})

it("gives a Graph token with the app's Graph roles", async () => {
  const result = await e2e.run({ scope: 'https://graph.microsoft.com/.default' })
  expect(result.code).toBe(0)
  expect(result.outputs.roles).toBe(DEMO.roles.join(','))
})

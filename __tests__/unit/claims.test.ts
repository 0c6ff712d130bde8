import { describe, expect, it } from '@jest/globals'
import { checkRequiredRoles, findMissingRoles, inspectToken, rolelessWarning } from '../../src/claims.js'
import { ActionError } from '../../src/errors.js'
import { execFileSync } from 'node:child_process'
import { CLIENT, fakeJwt, TENANT } from '../helpers/fake-io.js'

const APP = { kind: 'app', clientId: CLIENT } as const
const IDENTITY_OID = '4d5e6f70-1111-2222-3333-444455556666'
const IDENTITY = { kind: 'managed-identity', objectId: IDENTITY_OID, clientId: 'aaaa0000-1111-2222-3333-444455556666' } as const

const GRAPH = 'https://graph.microsoft.com/.default'

describe('inspectToken', () => {
  it('reads tenant, roles and app from a v1 Graph token', () => {
    const token = fakeJwt({
      tid: TENANT,
      roles: ['User.Read.All', 'Group.Read.All'],
      appid: CLIENT,
      app_displayname: 'Release bot',
      ver: '1.0'
    })
    expect(inspectToken(token)).toEqual({
      facts: {
        tenantId: TENANT,
        roles: ['User.Read.All', 'Group.Read.All'],
        appName: 'Release bot',
        appId: CLIENT,
        objectId: '',
        decoded: true
      },
      dropped: []
    })
  })

  it('reads azp for the app of a v2 token, and no roles when the claim is absent', () => {
    expect(inspectToken(fakeJwt({ tid: TENANT, azp: CLIENT })).facts).toMatchObject({ appId: CLIENT, roles: [], decoded: true })
  })

  it.each([
    ['an opaque token', 'EwBwA8l6BAAU7p9QDpi', /not a JWT/],
    ['an encrypted token', 'a.b.c.d.e', /encrypted/],
    ['a payload that is not JSON', 'eyJhbGciOiJub25lIn0.bm90IGpzb24.', /not base64url JSON/],
    ['a payload that is an array', `x.${Buffer.from('[1]').toString('base64url')}.y`, /not a JSON object/]
  ])('is not an error for %s: the facts stay empty with a reason', (_, token, reason) => {
    const result = inspectToken(token)
    expect(result.facts).toEqual({ tenantId: '', roles: [], appName: '', appId: '', objectId: '', decoded: false })
    expect(result.reason).toMatch(reason)
  })

  it('leaves out roles that are not strings or could not be a role value, saying so for the debug log', () => {
    const roles = [
      'A',
      7,
      null,
      'B\n::set-output name=token::x',
      'C D',
      'E\u200b',
      'F,G',
      '::warning::x',
      'x##[add-mask]y',
      'Sites.Selected'
    ]
    const { facts, dropped } = inspectToken(fakeJwt({ roles }))
    expect(facts.roles).toEqual(['A', 'Sites.Selected'])
    expect(dropped).toHaveLength(8)
  })

  it('keeps only role values that are inert in a shell, since workflows inline the roles output into run:', () => {
    // Each is a value Entra accepts (appRole resource type: no spaces, ASCII punctuation allowed).
    const hostile = [
      '$(id)',
      '`id`',
      'A;id',
      'A|id',
      'A&id',
      'A>x',
      "A'x",
      'A"x',
      '-rf',
      '~root',
      '=id',
      'A*',
      'A?',
      '{a,b}',
      'A\\x',
      '#x',
      'A!x',
      'A%PATH%'
    ]
    const kept = ['User.Read.All', 'access_as_application', 'Tasks.ReadWrite:Scoped', 'api://x/Role', 'a+b=c@d', 'R'.repeat(120)]
    const { facts, dropped } = inspectToken(fakeJwt({ roles: [...kept, ...hostile, 'R'.repeat(121)] }))
    expect(facts.roles).toEqual(kept)
    expect(dropped).toHaveLength(hostile.length + 1)
    expect(dropped[0]).toBe(
      `The token's roles claim has a value that is not a role name, or not safe in a shell ("$(id)"); it is left out of the roles output.`
    )
  })

  it.each([
    ['a GUID', TENANT.toUpperCase(), TENANT],
    ['not a GUID', 'contoso\n::warning::x', '']
  ])('keeps a tid that is %s as the tenant, lower-cased, or drops it', (_, tid, tenantId) => {
    const { facts, dropped } = inspectToken(fakeJwt({ tid }))
    expect(facts.tenantId).toBe(tenantId)
    expect(dropped).toHaveLength(tenantId ? 0 : 1)
  })
})

describe('required roles', () => {
  const facts = inspectToken(fakeJwt({ tid: TENANT, roles: ['User.Read.All'] })).facts

  it('finds the missing ones, ignoring case', () => {
    expect(findMissingRoles(['user.read.all', 'Group.Read.All', 'Sites.Read.All'], ['User.Read.All'])).toEqual([
      'Group.Read.All',
      'Sites.Read.All'
    ])
  })

  it('names every missing permission in one error, with how to add and consent it', () => {
    const error = (() => {
      try {
        checkRequiredRoles(['User.Read.All', 'Group.Read.All', 'Sites.Read.All'], facts, APP, GRAPH)
      } catch (e) {
        return e as ActionError
      }
    })()
    expect(error).toBeInstanceOf(ActionError)
    expect(error!.input).toBe('required-roles')
    const text = error!.render()
    expect(text).toMatch(/lacks 2 required permissions: Group.Read.All, Sites.Read.All \(it has: User.Read.All\)/)
    expect(text).toContain(
      `App registrations > ${CLIENT} > API permissions > Add a permission > Microsoft Graph > Application permissions > Group.Read.All, Sites.Read.All`
    )
    expect(text).toContain('Grant admin consent')
    expect(text).toContain(`az ad app permission add --id ${CLIENT} --api 00000003-0000-0000-c000-000000000000`)
    expect(text).toContain('--query \'appRoles[?value==`"Sites.Read.All"`].id\'')
    expect(text).toContain(`az ad app permission admin-consent --id ${CLIENT}`)
  })

  it('passes when all are granted, or none are required', () => {
    expect(() => checkRequiredRoles(['USER.READ.ALL'], facts, APP, GRAPH)).not.toThrow()
    expect(() => checkRequiredRoles([], inspectToken('opaque').facts, APP, GRAPH)).not.toThrow()
  })

  it('fails when roles are required but the token cannot be read', () => {
    expect(() => checkRequiredRoles(['User.Read.All'], inspectToken('opaque').facts, APP, GRAPH)).toThrow(
      /not a JWT whose roles can be read/
    )
  })
})

describe('rolelessWarning', () => {
  it('warns about a Graph token without roles, saying how to grant them', () => {
    const warning = rolelessWarning(inspectToken(fakeJwt({ tid: TENANT })).facts, true, APP, GRAPH)
    expect(warning).toMatch(/no roles: app .* holds no Microsoft Graph application permission with admin consent, so Graph will answer 403/)
    expect(warning).toMatch(/Grant admin consent/)
  })

  it('stays quiet with roles, for other resources, and for opaque tokens', () => {
    expect(rolelessWarning(inspectToken(fakeJwt({ roles: ['A'] })).facts, true, APP, GRAPH)).toBeUndefined()
    expect(rolelessWarning(inspectToken(fakeJwt({})).facts, false, APP, 'api://mine/.default')).toBeUndefined()
    expect(rolelessWarning(inspectToken('opaque').facts, true, APP, GRAPH)).toBeUndefined()
  })
})

describe('granting permissions to a managed identity', () => {
  it('says the portal cannot, and gives PowerShell and az commands for app role assignments', () => {
    const warning = rolelessWarning(inspectToken(fakeJwt({ tid: TENANT })).facts, true, IDENTITY, GRAPH)!
    expect(warning).toMatch(/managed identity aaaa0000-.* holds no Microsoft Graph application permission, so Graph will answer 403/)
    expect(warning).toMatch(/app role assignments, which the portal cannot add/)
    expect(warning).toContain(`New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId ${IDENTITY_OID} -PrincipalId ${IDENTITY_OID}`)
  })

  it('prints an az rest command whose body bash turns into the JSON of an appRoleAssignment', () => {
    let error: unknown
    try {
      checkRequiredRoles(['Sites.Read.All'], inspectToken(fakeJwt({ roles: [] })).facts, IDENTITY, GRAPH)
    } catch (e) {
      error = e
    }
    const line = (error as ActionError)
      .render()
      .split('\n')
      .find(l => l.trimStart().startsWith('az rest'))!
    // az replaced by a function: `az ad sp show` prints a fixed ID, `az rest` prints its arguments.
    const script = `az() { if [ "$1" = ad ]; then echo 11111111-0000-0000-0000-000000000000; else printf '%s\\0' "$@"; fi; }\napi=$(az ad sp show)\n${line.trim()}`
    const args = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1)
    expect(args.slice(0, 5)).toEqual([
      'rest',
      '--method',
      'POST',
      '--uri',
      `https://graph.microsoft.com/v1.0/servicePrincipals/${IDENTITY_OID}/appRoleAssignments`
    ])
    expect(JSON.parse(args[6])).toEqual({
      principalId: IDENTITY_OID,
      resourceId: '11111111-0000-0000-0000-000000000000',
      appRoleId: '11111111-0000-0000-0000-000000000000'
    })
  })
})

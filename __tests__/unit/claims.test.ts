import { describe, expect, it } from '@jest/globals'
import { checkRequiredRoles, findMissingRoles, inspectToken, rolelessWarning } from '../../src/claims.js'
import { ActionError } from '../../src/errors.js'
import { CLIENT, fakeJwt, TENANT } from '../helpers/fake-io.js'

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
      facts: { tenantId: TENANT, roles: ['User.Read.All', 'Group.Read.All'], appName: 'Release bot', appId: CLIENT, decoded: true },
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
    expect(result.facts).toEqual({ tenantId: '', roles: [], appName: '', appId: '', decoded: false })
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
        checkRequiredRoles(['User.Read.All', 'Group.Read.All', 'Sites.Read.All'], facts, CLIENT, GRAPH)
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
    expect(() => checkRequiredRoles(['USER.READ.ALL'], facts, CLIENT, GRAPH)).not.toThrow()
    expect(() => checkRequiredRoles([], inspectToken('opaque').facts, CLIENT, GRAPH)).not.toThrow()
  })

  it('fails when roles are required but the token cannot be read', () => {
    expect(() => checkRequiredRoles(['User.Read.All'], inspectToken('opaque').facts, CLIENT, GRAPH)).toThrow(
      /not a JWT whose roles can be read/
    )
  })
})

describe('rolelessWarning', () => {
  it('warns about a Graph token without roles, saying how to grant them', () => {
    const warning = rolelessWarning(inspectToken(fakeJwt({ tid: TENANT })).facts, true, CLIENT, GRAPH)
    expect(warning).toMatch(/no roles: app .* holds no Microsoft Graph application permission with admin consent, so Graph will answer 403/)
    expect(warning).toMatch(/Grant admin consent/)
  })

  it('stays quiet with roles, for other resources, and for opaque tokens', () => {
    expect(rolelessWarning(inspectToken(fakeJwt({ roles: ['A'] })).facts, true, CLIENT, GRAPH)).toBeUndefined()
    expect(rolelessWarning(inspectToken(fakeJwt({})).facts, false, CLIENT, 'api://mine/.default')).toBeUndefined()
    expect(rolelessWarning(inspectToken('opaque').facts, true, CLIENT, GRAPH)).toBeUndefined()
  })
})

import { checkRequiredRoles, inspectToken, rolelessWarning, type Principal } from './claims.js'
import { isGraphScope } from './clouds.js'
import { acquireToken } from './acquire.js'
import { readInputs } from './inputs.js'
import type { Io } from './io.js'
import { publish } from './publish.js'
import { parseSettings } from './settings.js'

/** inputs → settings → token source (with its credential, retried) → claims → outputs → renewal. */
export async function run(io: Io): Promise<void> {
  const raw = readInputs(io)
  const settings = parseSettings(raw)
  for (const note of settings.notes) io.log.info(note)
  const token = await acquireToken(settings, io)

  const { facts, reason, dropped } = inspectToken(token.accessToken)
  if (reason) io.log.debug(`The token's claims cannot be read: ${reason}; the tenant-id and roles outputs stay empty.`)
  for (const note of dropped) io.log.debug(note)
  const principal: Principal =
    settings.source.kind === 'managed-identity'
      ? { kind: 'managed-identity', objectId: facts.objectId, clientId: facts.appId }
      : { kind: 'app', clientId: settings.clientId }
  checkRequiredRoles(settings.requiredRoles, facts, principal, settings.scope)
  const warning = rolelessWarning(facts, isGraphScope(settings.scope), principal, settings.scope)
  if (warning) io.log.warning(warning)
  await publish(io, settings, token, facts)
  if (settings.keepFresh || settings.azureCredentials) {
    // Evaluated only for the steps that renew (src/index.ts says how one file holds it all).
    const { startRenewal } = await import(/* webpackMode: "eager" */ './renewal/start.js')
    await startRenewal(io, settings, raw, token)
  }
}

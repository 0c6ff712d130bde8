import { tmpdir } from 'node:os'
import { acquireAssertion } from '../acquire.js'
import { ActionError } from '../errors.js'
import type { RawInputs } from '../inputs.js'
import type { Io } from '../io.js'
import type { Settings } from '../settings.js'
import type { Token } from '../token-response.js'
import { assertionSource, azureVariables } from './azure-variables.js'
import { createRenewalFiles, removeRenewalFiles, writeAtomically, writeTokenFiles, type RenewalFiles } from './files.js'
import { renewerEnvironment, startDetached } from './process.js'
import type { HandOver } from './renewer.js'
import { assertionRenewalAt, expiryOf, tokenRenewalAt } from './schedule.js'
import { STATE_NAME } from './names.js'
import { iso, newStatus, writeStatus } from './status.js'

/** The post step's state: where the files are, and which process renews them. */
export interface RenewalState {
  dir: string
  base: string
  /** 0 when nothing needs renewing (a federated token file that the kubelet renews). */
  pid: number
}

/**
 * The main step's last stage for 'keep-fresh' and 'azure-credentials': writes the first token and
 * assertion to their files, writes the outputs and exports the variables, starts the renewer with
 * everything it needs on its pipe, and saves the post step's state. A failure here fails the step
 * (the user asked for a token that stays valid) and leaves no file behind.
 */
export async function startRenewal(io: Io, settings: Settings, raw: RawInputs, token: Token): Promise<void> {
  const assertion = assertionSource(settings)
  // The assertion later steps read: the one renewed in our folder, or a token file as it is (AKS).
  const exportsFor = (files: RenewalFiles | undefined) => {
    const file = assertion.kind === 'file' ? assertion.path : assertion.kind === 'renewed' ? files?.assertion : undefined
    return settings.azureCredentials ? azureVariables(settings, file) : {}
  }
  if (!settings.keepFresh && assertion.kind !== 'renewed') {
    // Nothing to renew: a managed identity's own token, or a token file the kubelet renews.
    publishRenewal(io, settings, undefined, exportsFor(undefined))
    return
  }

  // RUNNER_TEMP is set on every runner; the system's temporary folder serves a run by hand.
  const base = io.env.RUNNER_TEMP || tmpdir()
  let files: RenewalFiles | undefined
  try {
    files = createRenewalFiles(base)
    const now = io.now()
    const handOver: Omit<HandOver, 'watchPid'> = { raw, dir: files.dir }
    if (settings.keepFresh) {
      writeTokenFiles(files, token.accessToken)
      handOver.token = { due: tokenRenewalAt(token, now), expiresOn: token.expiresOn.getTime() }
    }
    if (assertion.kind === 'renewed') {
      const value = await acquireAssertion(settings, io)
      writeAtomically(files.assertion, value)
      handOver.assertion = { due: assertionRenewalAt(value, io.now()), expiresOn: expiryOf(value) }
    }
    const next = Math.min(handOver.token?.due ?? Infinity, handOver.assertion?.due ?? Infinity)
    writeStatus(files.status, { ...newStatus(0, now), nextRenewal: iso(next) })
    // Outputs and variables first: what can refuse (no GITHUB_ENV) does so before a process runs.
    publishRenewal(io, settings, settings.keepFresh ? files : undefined, exportsFor(files))
    const pid = await startDetached(handOver, renewerEnvironment(io.env))
    const state: RenewalState = { dir: files.dir, base, pid }
    io.saveState(STATE_NAME, JSON.stringify(state))
    const what = [
      settings.keepFresh && 'the token in token-file',
      assertion.kind === 'renewed' && 'the client assertion in AZURE_FEDERATED_TOKEN_FILE'
    ]
    io.log.info(
      `Renewing ${what.filter(Boolean).join(' and ')} in the background until the job ends (process ${pid}, next at ${iso(next)}); the post step reports how it went.`
    )
  } catch (error) {
    if (files) removeRenewalFiles(files.dir, base)
    if (error instanceof ActionError) throw error
    const input = settings.keepFresh ? 'keep-fresh' : 'azure-credentials'
    throw new ActionError('runner', `Cannot start renewing in the background: ${error instanceof Error ? error.message : String(error)}.`, {
      input,
      hint: `The step must be able to write to RUNNER_TEMP and start a process of its own; set '${input}' to false to get the token alone.`
    })
  }
}

function publishRenewal(io: Io, settings: Settings, files: RenewalFiles | undefined, exports: Record<string, string>): void {
  if (files) {
    io.setOutput('token-file', files.token)
    io.setOutput('header-file', files.header)
  }
  for (const [name, value] of Object.entries(exports)) io.exportVariable(name, value)
  const names = Object.keys(exports)
  if (!settings.azureCredentials) return
  if (names.length > 0) {
    io.log.info(`Later steps sign in with ${names.join(', ')} (no secret among them).`)
    return
  }
  const id = settings.source.kind === 'managed-identity' ? settings.source.identity.id : undefined
  if (id?.kind === 'object-id' || id?.kind === 'resource-id') {
    // No SDK reads an object or resource ID from the environment: a later step that does not name
    // the identity asks the endpoint without one, and gets the machine's default identity.
    const [option, flag] = id.kind === 'object-id' ? ['objectId', '--object-id'] : ['resourceId', '--resource-id']
    io.log.warning(
      `'azure-credentials': no variable names a user-assigned identity by its ${id.kind === 'object-id' ? 'object' : 'resource'} ID, so a later step that does not name it gets the machine's default identity instead. Name it in each (@azure/identity: new ManagedIdentityCredential({ ${option}: ... }); Azure CLI: az login --identity ${flag} ...), or give its client ID in 'managed-identity', which is exported as AZURE_CLIENT_ID.`
    )
    return
  }
  io.log.info("'azure-credentials': later steps use the machine's managed identity as it is; no variable is needed for it.")
}

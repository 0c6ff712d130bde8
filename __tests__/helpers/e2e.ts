import { createServerTls } from '../../scripts/certificates.mjs'
import { makeTempDir, removeTempDir } from '../../scripts/temp.mjs'
import { DEMO, startEntraSimulator } from '../../scripts/entra-simulator.mjs'
import { findLeaks, runAction, runnerCommands, startJob, unescapeCommandValue } from '../../scripts/runner.mjs'

/** A host name the test proxy resolves to the simulator; .test is reserved (RFC 2606). */
export const PROXIED_HOST = 'login.entra.test'

export type Simulator = Awaited<ReturnType<typeof startEntraSimulator>>
/** A job's shared runner files (scripts/runner.mjs startJob). */
export type Job = ReturnType<typeof startJob>
/** One run of dist/index.js (scripts/runner.mjs). */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  ms: number
}

/** Starts the Entra ID simulator over a throw-away CA; `run` spawns dist/index.js against it. */
export async function startE2e(options: Omit<Parameters<typeof startEntraSimulator>[0], 'tls'> = {}) {
  const dir = makeTempDir('e2e-')
  let tls: ReturnType<typeof createServerTls>
  let simulator: Simulator
  try {
    tls = createServerTls(dir, [PROXIED_HOST])
    simulator = await startEntraSimulator({ ...options, tls })
  } catch (error) {
    removeTempDir(dir)
    throw error
  }
  return {
    simulator,
    tls,
    /** Runs the action with the demo app's identity unless inputs say otherwise. */
    run(
      inputs: Record<string, string | undefined> = {},
      env: Record<string, string> = {},
      options: { stepSummary?: boolean; outputFile?: boolean; job?: Job; post?: boolean; script?: string } = {}
    ): Promise<RunResult> {
      return runAction({
        ...options,
        inputs: {
          'tenant-id': DEMO.tenantId,
          'client-id': DEMO.clientId,
          'client-secret': DEMO.clientSecret,
          'authority-host': simulator.url,
          ...inputs
        },
        env: { NODE_EXTRA_CA_CERTS: tls.caPath, ...env }
      })
    },
    async stop() {
      await simulator.close()
      removeTempDir(dir)
    }
  }
}

/** Secrets found anywhere the user could see them: stdout, stderr and the job summary. */
export function leaks(result: RunResult, secrets: Record<string, string | undefined>): string[] {
  return findLeaks(result, secrets)
}

/** The values of one workflow command (::error::, ::add-mask::, ...) on stdout, unescaped as the runner reads them. */
function commandValues(result: RunResult, command: string): string[] {
  const prefix = `::${command}::`
  return result.stdout
    .split('\n')
    .filter(line => line.startsWith(prefix))
    .map(line => unescapeCommandValue(line.slice(prefix.length)))
}

/** The ::error:: (or ::warning::) annotations. */
export const annotations = (result: RunResult, kind = 'error') => commandValues(result, kind)

/** Lines registered with ::add-mask::, in order. */
export const masks = (result: RunResult) => commandValues(result, 'add-mask')

/** The workflow commands the runner would act on in this run's stdout. */
export const commands = (result: RunResult): { name: string; data: string; legacy?: boolean }[] => runnerCommands(result.stdout)

/**
 * The job summary's text as GitHub shows it: the numeric character references and backslash
 * escapes the action writes (publish.ts markdownText) resolved. Tests compare what a reader sees.
 */
export const summaryText = (markdown: string) =>
  markdown.replace(/&#(\d+);|&amp;|\\(.)/g, (_, code: string | undefined, escaped: string | undefined) =>
    code ? String.fromCharCode(Number(code)) : (escaped ?? '&')
  )

export { DEMO }

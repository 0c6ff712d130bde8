// The action's transport as a client process, as curl is one: it reads requests (JSON on argv[2]),
// sends each with createHttp, and prints one JSON line of outcomes. A child process, because the
// throw-away CA is trusted the way a runner trusts one, with NODE_EXTRA_CA_CERTS at start-up.
import { ActionError } from '../../src/errors.js'
import { createHttp } from '../../src/http-transport.js'
import type { Proxy } from '../../src/proxy.js'

interface Job {
  url: string
  proxy?: string
}

const jobs = JSON.parse(process.argv[2] ?? '[]') as Job[]
const transport = createHttp('graph-token-action/differential')
const outcomes = []
for (const job of jobs) {
  const proxy: Proxy | undefined = job.proxy
    ? { url: new URL(job.proxy), variable: 'https_proxy', address: new URL(job.proxy).host }
    : undefined
  try {
    const response = await transport.request({ method: 'GET', url: job.url, headers: {}, proxy, signal: AbortSignal.timeout(10_000) })
    outcomes.push({ status: response.status })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    outcomes.push({ error: error instanceof ActionError ? error.message : String(error), code: cause?.code })
  }
}
process.stdout.write(`${JSON.stringify(outcomes)}\n`)

// A later step of the job that signs in as the app with @azure/identity and nothing but the
// variables 'azure-credentials' exported (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST,
// AZURE_FEDERATED_TOKEN_FILE), as a user's script would. Instance discovery is off (it would ask
// login.microsoftonline.com); every host name looked up is recorded and refused, so a request
// anywhere but the simulator's 127.0.0.1 shows. Prints one JSON line: { token, lookups } or { error, lookups }.
import dns from 'node:dns'
import { WorkloadIdentityCredential } from '@azure/identity'

const lookups = []
const refuse = (hostname, ...args) => {
  lookups.push(hostname)
  const callback = args.at(-1)
  const error = Object.assign(new Error(`lookup of ${hostname} refused by the test`), { code: 'ENOTFOUND' })
  if (typeof callback === 'function') process.nextTick(() => callback(error))
  else return Promise.reject(error)
}
dns.lookup = refuse
dns.promises.lookup = refuse

try {
  const credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true })
  const { token } = await credential.getToken(process.argv[2] ?? 'https://graph.microsoft.com/.default')
  console.log(JSON.stringify({ token, lookups }))
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.message ?? error).slice(0, 2000), lookups }))
}

// Stands in for the runner process that starts a step: runs the action's main step as its child
// (scripts/runner.mjs), prints the step's result as one JSON line, and lives on until it is killed,
// as a runner lost mid-job would, without ever running the post step.
import { runAction } from '../../scripts/runner.mjs'

const { inputs, env, job } = JSON.parse(process.argv[2])
const result = await runAction({ inputs, env, job })
console.log(JSON.stringify({ code: result.code, outputs: result.outputs }))
setInterval(() => {}, 60_000)

import { RENEW_ARGUMENT } from './renewal/names.js'

// One bundle, three entry points over one pipeline (src/acquire.ts):
// - `node dist/index.js --renew`: the background renewer the main step starts (renewal/process.ts);
// - the post step (action.yml runs.post): the runner sets STATE_isPost, which every main step
//   saves first, as actions/checkout tells its post step apart (src/state-helper.ts there);
// - otherwise the main step.
// The renewer and post code is imported eagerly into the one file (no chunk beside it), but only
// evaluated when its entry runs.
if (process.argv[2] === RENEW_ARGUMENT) {
  const { renew } = await import(/* webpackMode: "eager" */ './renewal/renewer.js')
  await renew()
} else {
  const { isPost, run, runPost } = await import(/* webpackMode: "eager" */ './main.js')
  await (isPost() ? runPost() : run())
  // The outcome is rendered (outputs written, or the error printed): the step is decided. If some
  // library still holds a handle (a socket it lost track of), do not let it hold the job: exit
  // shortly. unref, so a run that leaves nothing behind exits at once, as it should.
  setTimeout(() => process.exit(), 500).unref()
}

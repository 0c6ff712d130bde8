import { run } from './main.js'

await run()

// The outcome is rendered (outputs written, or the error printed): the step is decided. If some
// library still holds a handle (a socket it lost track of), do not let it hold the job: exit
// shortly. unref, so a run that leaves nothing behind exits at once, as it should.
setTimeout(() => process.exit(), 500).unref()

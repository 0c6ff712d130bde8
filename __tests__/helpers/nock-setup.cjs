// Loaded before each test file's ESM graph is linked, so nock's patch of node:https is the one
// http-client captures; restored afterwards so the next file in this worker starts clean.
const nock = require('nock')
nock.disableNetConnect()
afterAll(() => nock.restore())

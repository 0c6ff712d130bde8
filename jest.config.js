/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // The end-to-end suites run dist/: it is rebuilt first when src/ is newer (helpers/fresh-dist.mjs).
  globalSetup: '<rootDir>/__tests__/helpers/fresh-dist.mjs',
  // nock must patch node:https before the code under test is linked: Jest builds an ES module's
  // view of node:https as a copy of its exports at link time, so a later patch would not reach it.
  setupFilesAfterEnv: ['<rootDir>/__tests__/helpers/nock-setup.cjs'],
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^\\.\\./(workflow|action)-v1\\.0\\.min\\.json$': '<rootDir>/__tests__/helpers/workflow-parser/$1.cjs',
    '^(\\.{1,2}/.*)\\.js$': '$1'
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // Jest's transform cache, with the project rather than in the system's temporary directory.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  testTimeout: 30000
}

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // nock must patch node:https before the code under test is linked (toolchain.md, pitfall 1).
  setupFilesAfterEnv: ['<rootDir>/__tests__/helpers/nock-setup.cjs'],
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 30000
}

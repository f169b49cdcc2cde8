/**
 * `npm run test:browser`: the demo page in Debian's Chromium, driven by playwright-core. Not part of
 * `npm test` (which must pass on a machine without Chromium); `.ci/run` runs it. One browser for the run
 * (test/browser/global-setup.ts), one test file at a time.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.ts'],
  transform: { '\\.[cm]?[jt]s$': '<rootDir>/test/support/esbuild-transform.cjs' },
  transformIgnorePatterns: ['/node_modules/(?!(jose|@zxcvbn-ts)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  globalSetup: '<rootDir>/test/browser/global-setup.ts',
  globalTeardown: '<rootDir>/test/browser/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60000,
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.aws\\.test\\.ts$'],
  transform: { '\\.[cm]?[jt]s$': '<rootDir>/test/support/esbuild-transform.cjs' },
  // jose 6 ships ESM only; let the transformer turn it into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@zxcvbn-ts)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  coverageProvider: 'v8',
  collectCoverageFrom: ['lambdas/**/*.ts', 'lib/**/*.ts'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    './lambdas/': { lines: 90 },
    './lib/': { lines: 90 },
  },
  testTimeout: 30000,
  // A worker per core: jest's default (cores - 1) runs a 2-core machine in band, one core for tests and
  // dynalite together; the main process here does little but serve dynalite.
  maxWorkers: '100%',
};

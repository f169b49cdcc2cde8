/**
 * The AWS suite (`npm run test:aws`): the key infrastructure against moto's
 * SSM and Secrets Manager. test/aws/global-setup.ts starts one moto server
 * (python3 -m moto.server) for the run; files that stop moto or turn on its
 * signature checks start their own.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/aws'],
  testMatch: ['**/*.aws.test.ts'],
  transform: { '\\.[cm]?[jt]s$': '<rootDir>/test/support/esbuild-transform.cjs' },
  // jose 6 ships ESM only; let the transformer turn it into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@zxcvbn-ts)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  globalSetup: '<rootDir>/test/aws/global-setup.ts',
  globalTeardown: '<rootDir>/test/aws/global-teardown.ts',
  testTimeout: 60000,
};

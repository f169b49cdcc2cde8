/**
 * The AWS suite (`npm run test:aws`): the key infrastructure against moto's
 * SSM and Secrets Manager. test/aws/global-setup.ts starts one moto server
 * (python3 -m moto.server) for the run; files that stop moto or turn on its
 * signature checks start their own. Everything else (the transform, the
 * environment) is the main suite's.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.cjs');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleFileExtensions: base.moduleFileExtensions,
  setupFiles: base.setupFiles,
  roots: ['<rootDir>/test/aws'],
  testMatch: ['**/*.aws.test.ts'],
  globalSetup: '<rootDir>/test/aws/global-setup.ts',
  globalTeardown: '<rootDir>/test/aws/global-teardown.ts',
  testTimeout: 60000,
};

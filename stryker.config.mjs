// StrykerJS over the modules whose tests must notice every behaviour change: `npm run test:mutation`
// (all modules, one after another) or `npm run test:mutation -- verifier` (some). Not part of `npm test`.
// Each module is mutated alone and runs only its own tests, so a run takes minutes, not hours
// (docs/development.md › Mutation testing).
import jestConfig from './jest.config.cjs';

/**
 * Module name -> [the file mutated, the test files that cover it, optionally names of tests in those files that never
 * reach the module]. The latter are left out: a heavy one (100 concurrent writes) can time out under Stryker's
 * instrumentation on a loaded machine, which fails the initial run for a test that could kill no mutant anyway.
 */
export const MODULES = {
  verifier: ['lambdas/tokens/access-token-verifier.ts', ['test/lambdas/tokens/access-token-verifier.test.ts', 'test/lambdas/tokens/access-tokens.test.ts']],
  policy: ['lambdas/authorizer/policy.ts', ['test/lambdas/authorizer/policy.test.ts', 'test/lambdas/authorizer/policy-document.test.ts', 'test/lambdas/authorizer/authorizer.test.ts']],
  'verified-token-cache': [
    'lambdas/authorizer/verified-token-cache.ts',
    ['test/lambdas/authorizer/verified-token-cache.test.ts', 'test/lambdas/authorizer/cached-decisions.test.ts'],
  ],
  lockout: [
    'lambdas/domain/lockout.ts',
    ['test/lambdas/domain/lockout.test.ts', 'test/lambdas/domain/races.test.ts', 'test/lambdas/handlers/partial-writes.test.ts', 'test/lambdas/handlers/metrics.test.ts'],
    ['100 concurrent orders by one user'],
  ],
  'refresh-tokens': [
    'lambdas/domain/refresh-tokens.ts',
    [
      'test/lambdas/domain/refresh-tokens.test.ts',
      'test/lambdas/domain/races.test.ts',
      'test/lambdas/handlers/partial-writes.test.ts',
      'test/local/refresh-reuse-interval.test.ts',
      'test/local/session-controls.test.ts',
      'test/lambdas/handlers/metrics.test.ts',
    ],
    ['100 concurrent orders by one user'],
  ],
};

const name = process.env.MUTATION_MODULE ?? 'verifier';
const entry = MODULES[name];
if (!entry) throw new Error(`MUTATION_MODULE must be one of ${Object.keys(MODULES).join(', ')}, got ${name}`);
const [mutate, tests, unrelated = []] = entry;
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  plugins: ['@stryker-mutator/jest-runner'],
  mutate: [mutate],
  coverageAnalysis: 'perTest',
  jest: {
    projectType: 'custom',
    enableFindRelatedTests: false,
    config: {
      ...jestConfig,
      // Only this module's tests; no coverage thresholds (they are for npm test's full run).
      testMatch: tests.map((t) => `<rootDir>/${t}`),
      collectCoverage: false,
      coverageThreshold: undefined,
      setupFilesAfterEnv: ['<rootDir>/scripts/mutation-setup.cjs'],
      ...(unrelated.length > 0 ? { testNamePattern: `^(?!.*(?:${unrelated.map(escapeRegExp).join('|')}))` } : {}),
    },
  },
  reporters: ['clear-text', 'progress-append-only', 'html'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  tempDirName: '.stryker-tmp',
  concurrency: 2,
  timeoutMS: 20000,
  thresholds: { high: 90, low: 80, break: null },
};

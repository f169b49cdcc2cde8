/**
 * `npm test`: the whole suite (jest.config.cjs) minus the files below, which
 * only the full run takes (`npm run test:full`, and CI through .ci/run).
 * A test file lands in `npm test` unless it is listed here, with the reason
 * it is too slow for a run people wait for. Budget: `npm test` under
 * 3 minutes on an idle 2-core machine (README.md › Start here).
 * @type {import('jest').Config}
 */
const base = require('./jest.config.cjs');

/** Paths from the repository root -> why the file waits for the full run. */
const FULL_RUN_ONLY = {
  'test/bench/bench.test.ts': 'runs the whole bench (--quick) in a child process: bundles every authorizer, cold starts, load on the local stack',
  'test/bench/bundle.test.ts': 'needs the real bundles (test/support/cdk-out.ts: one `cdk synth` with esbuild per change of the sources)',
  'test/lib/bundling.test.ts': 'needs the real bundles (test/support/cdk-out.ts), and imports each of them in a child process',
  'test/scripts/invoke.test.ts': 'needs the real bundles (test/support/cdk-out.ts), and runs each function in a child process',
  'test/fuzz/public-handlers.test.ts': '10,000 generated events per public handler (FUZZ_RUNS)',
  'test/fuzz/protected-handlers.test.ts': '10,000 generated events per protected handler (FUZZ_RUNS)',
  'test/fuzz/differential-verifier.test.ts': '1,500 generated tokens through three verifiers (DIFF_FUZZ_RUNS)',
  'test/local/npm-start.test.ts': 'starts `npm start` four times as child processes (npm, tsx, the local stack)',
  'test/scripts/create-admin.test.ts': 'runs the create-admin command a dozen times as child processes (tsx)',
  'test/local/lockout-burst.test.ts': 'bursts of 60 to 101 logins over HTTP, each checking a bcrypt hash',
  'test/lib/cfn-validation.test.ts': "CDK's CloudFormation validation engine (WebAssembly), which every other test synth skips",
  'test/local/restart.test.ts': 'boots the local stack twice on one DATA_DIR, with a fresh module registry',
};

const escapeRegExp = (path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

module.exports = {
  ...base,
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...Object.keys(FULL_RUN_ONLY).map((path) => `<rootDir>/${escapeRegExp(path)}$`)],
  // Coverage and its thresholds belong to the full run: part of the suite proves less than all of it.
  collectCoverage: false,
  coverageThreshold: undefined,
};

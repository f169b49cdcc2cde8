/**
 * The one test that reads real bundles: every function through local
 * esbuild, as `cdk synth` does (the run's shared assembly,
 * test/support/cdk-out.ts), and then every bundle imported as ESM by plain
 * Node (no jest, no transform), to prove the CommonJS dependencies load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESM_REQUIRE_BANNER } from '../../lib/constructs/wristband-function';
import { functionNames } from '../../lib/constructs/wristband-functions';
import type { FunctionName } from '../../lambdas/contract/routes';
import { lambdaFunctions, readTemplate } from '../../scripts/invoke/template';
import { sharedCdkOut } from '../support/cdk-out';

jest.setTimeout(600_000);

describe('bundling', () => {
  let scratch: string;
  const assets = new Map<FunctionName, string>();
  const bundleOf = (name: FunctionName) => {
    const dir = assets.get(name);
    if (!dir) throw new Error(`no asset for ${name} in the synthesized template`);
    return dir;
  };

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'wristband-bundling-'));
    const { templatePath } = sharedCdkOut();
    for (const fn of lambdaFunctions(readTemplate(templatePath), templatePath)) {
      if (fn.name && fn.assetDir) assets.set(fn.name, fn.assetDir);
    }
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes a minified ESM handler with a source map for every function', () => {
    for (const name of functionNames()) {
      const dir = bundleOf(name);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');

      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      // Minified: long lines, not the one-statement-per-line of a readable build.
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8'));
      expect(map.sources.some((s: string) => s.includes(`lambdas/handlers/${name}.ts`))).toBe(true);
    }
  });

  it('loads every bundle as ESM on plain Node, and the bundled dependencies run', () => {
    const bundles = Object.fromEntries(functionNames().map((name) => [name, join(bundleOf(name), 'index.mjs')]));
    const script = join(scratch, 'load-bundles.mjs');
    writeFileSync(
      script,
      `
const bundles = JSON.parse(process.argv[2]);
const loaded = {};
for (const [name, file] of Object.entries(bundles)) loaded[name] = typeof (await import(file)).handler;
const post = (body) => ({ httpMethod: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), requestContext: { requestId: 'bundling-test' } });
const call = async (name, event) => { const r = await (await import(bundles[name])).handler(event); return [r.statusCode, JSON.parse(r.body).error ?? null]; };
const calls = {
  root: await call('root', { httpMethod: 'GET', requestContext: {} }),
  // zxcvbn-ts's password list refuses this one before any database call.
  register: await call('register', post({ email: 'someone@example.com', password: '1qaz2wsx3edc4rfv' })),
  // The AWS SDK runs, and finds no DynamoDB at the (closed) endpoint: a 503, as the contract says.
  login: await call('login', post({ email: 'someone@example.com', password: 'correct horse battery staple' })),
};
console.log(JSON.stringify({ loaded, calls }));
`,
    );

    const output = execFileSync(process.execPath, [script, JSON.stringify(bundles)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bundling-test',
        AWS_SECRET_ACCESS_KEY: 'bundling-test',
        // Nothing listens here: any AWS call fails fast instead of leaving the machine.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        TABLE_NAME: 'bundling-test',
        PUBLIC_KEYS_PARAMETER: '/wristband/test/public-keys',
        SIGNING_KEY_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bundling-test',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const { loaded, calls } = JSON.parse(output.trim().split('\n').pop()!);

    expect(loaded).toEqual(Object.fromEntries(functionNames().map((name) => [name, 'function'])));
    expect(calls).toEqual({ root: [200, null], register: [400, 'validation_error'], login: [503, 'service_unavailable'] });
  });
});

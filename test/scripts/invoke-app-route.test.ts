/**
 * `npm run invoke` with a team's own route: a CDK app in a temp directory
 * (a Wristband with its own roles, a route added with `addRoute({ entry })`),
 * synthesized, and its route invoked by the route itself, from the route
 * table the construct rendered into the function's environment, against the
 * local stack serving the same app: no event file, no extra wiring.
 *
 * `npx wristband invoke` (local/cli.ts) does the same in the app's folder,
 * finding its stack in cdk.out's manifest.
 *
 * Cheap on purpose: the synth skips bundling (bundling every wristband
 * function is what makes a synth slow), and the test bundles the one entry
 * it invokes with esbuild, as NodejsFunction would, into the asset folder
 * the template names.
 */
import { App, Stack } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ESM_REQUIRE_BANNER } from '../../lib/constructs/wristband-function';
import { Wristband } from '../../lib/wristband';
import { localAppOf } from '../../local/app';
import type { LocalStack } from '../../local/stack';
import { findFunction, functionLabel, lambdaFunctions, readTemplate } from '../../scripts/invoke/template';
import { CDK_JSON_CONTEXT } from '../lib/synth';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'test', 'support', 'app', 'articles.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

let dir: string;
let templatePath: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wristband-invoke-app-'));
  const app = new App({
    outdir: join(dir, 'cdk.out'),
    // What `cdk synth` sets: the construct paths and asset folders `invoke` reads.
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
  });
  const auth = new Wristband(new Stack(app, 'TeamApp'), 'Auth', {
    roles: ['reader', 'editor'],
    registrationRole: 'reader',
    createAdminRole: 'editor',
    userManagerRoles: ['editor'],
    mfaRequiredRoles: ['editor'],
  });
  // The app's folder, as `cdk init` leaves it (older than the synth below, so `wristband invoke` takes cdk.out as it is).
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx bin/app.ts' }));
  auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: ENTRY });
  auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor'], entry: ENTRY });
  app.synth();

  // The bundles NodejsFunction would have built, where the template says they are.
  templatePath = join(dir, 'cdk.out', 'TeamApp.template.json');
  const template = JSON.parse(readFileSync(templatePath, 'utf8'));
  for (const [logicalId, resource] of Object.entries<{ Type: string; Metadata?: Record<string, unknown> }>(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function' || !/Articles/.test(String(resource.Metadata?.['aws:cdk:path']))) continue;
    const assetDir = join(dir, 'cdk.out', `asset.${logicalId}`);
    mkdirSync(assetDir);
    buildSync({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(assetDir, 'index.mjs'), banner: { js: ESM_REQUIRE_BANNER }, logLevel: 'silent' });
    (resource.Metadata as Record<string, unknown>)['aws:asset:path'] = `asset.${logicalId}`;
  }
  writeFileSync(templatePath, JSON.stringify(template));

  process.env.BCRYPT_COST = '4';
  const { startLocalStack } = await import('../../local/stack');
  stack = await startLocalStack({ dataDir: join(dir, '.data'), port: 0, app: localAppOf(auth), onNotice: () => undefined });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("finds an app's functions by the route they serve or the name addRoute gave them, and lists them with their routes", () => {
  const functions = lambdaFunctions(readTemplate(templatePath), templatePath);
  const remove = findFunction(functions, 'DELETE /api/articles/{id}');
  expect([remove.appName, findFunction(functions, 'DELETE /api/articles/42'), findFunction(functions, 'delete-api-articles-id')]).toEqual(['delete-api-articles-id', remove, remove]);
  expect(functionLabel(remove)).toBe('delete-api-articles-id  DELETE /api/articles/{id}');
  expect(findFunction(functions, 'GET /api/articles').appName).toBe('get-api-articles');
});

it("npm run invoke runs the app's route with its own handler, with no event given: a request as a caller the route allows", async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'scripts', 'invoke', 'main.ts'), '-t', templatePath, 'DELETE /api/articles/42'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: join(dir, '.data') },
    timeout: 60_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop() as string);
  // protectedHandler let it in: the route's role, signed in with the second factor MFA_REQUIRED_ROLES asks of it.
  expect([result.statusCode, JSON.parse(result.body)]).toEqual([200, { route: 'DELETE /api/articles/{id}', caller: { sub: expect.any(String), role: 'editor' } }]);
  expect(stderr).toContain('no event given: DELETE /api/articles/42 as a caller with role editor');
}, 90_000);

it("wristband invoke, in the app's folder, finds the app's stack in cdk.out and runs the route the same way", async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'local', 'cli.ts'), 'invoke', 'GET /api/articles'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: join(dir, '.data') },
    timeout: 60_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop() as string);
  expect([result.statusCode, JSON.parse(result.body)]).toEqual([200, { route: 'GET /api/articles', caller: { sub: expect.any(String), role: 'reader' } }]);
  expect(stderr).not.toContain('synthesizing');
}, 90_000);

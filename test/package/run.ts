/**
 * The tarball test (`npm run test:package`; CI runs it, `npm test` does
 * not): wristband as a team gets it. `npm pack` into a temporary folder
 * outside the repository, a brand-new CDK app there from fixture-app/,
 * `npm install` of the tarball and the app's dependencies (from npm's
 * cache when it has them), the app's type-check against the shipped
 * declarations, `cdk synth` with cdk-nag's AwsSolutions pack (it must pass
 * with no finding left), every synthesized Lambda bundle exporting its
 * `handler`, and `npx wristband start` answering over HTTP with the
 * setting the app's cdk.json gives (accessTokenTtlSeconds). Each step
 * prints its time; any failure exits 1 with the step and its output.
 *
 *   node --import tsx test/package/run.ts [--app wristband] [--keep]
 *
 * `--app wristband` synthesizes bin/app.wristband.ts (the `Wristband`
 * construct) instead of bin/app.ts; `--keep` leaves the folder for a look.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'fixture-app');
/** The app's dependencies, at the repository's own versions: those are the ones npm's cache holds and the tests ran with. */
const APP_DEV_DEPENDENCIES = ['@types/node', 'aws-cdk', 'aws-cdk-lib', 'cdk-nag', 'constructs', 'tsx', 'typescript'] as const;
/** How long `wristband start` may take to print its URL. */
const START_TIMEOUT_MS = 60_000;

class StepFailed extends Error {}

interface Run {
  readonly status: number | null;
  readonly output: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new StepFailed(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function mustRun(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const { status, output } = run(command, args, cwd, env);
  if (status !== 0) throw new StepFailed(`\`${command} ${args.join(' ')}\` exited ${status} in ${cwd}:\n${output}`);
  return output;
}

const timings: [string, number][] = [];

async function step<T>(name: string, body: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`==> ${name}\n`);
  const result = await body();
  const seconds = (Date.now() - started) / 1000;
  timings.push([name, seconds]);
  process.stdout.write(`    ${seconds.toFixed(1)} s\n`);
  return result;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The fixture's package.json, with the tarball and the repository's versions of the app's dependencies. */
function appPackageJson(tarball: string): string {
  const repo = readJson<{ dependencies: Record<string, string>; devDependencies: Record<string, string> }>(join(REPO, 'package.json'));
  const app = readJson<{ dependencies: Record<string, string>; devDependencies: Record<string, string> }>(join(FIXTURE, 'package.json'));
  app.dependencies.wristband = `file:${tarball}`;
  for (const name of APP_DEV_DEPENDENCIES) {
    const version = repo.devDependencies[name] ?? repo.dependencies[name];
    if (!version) throw new StepFailed(`the repository's package.json has no ${name}`);
    app.devDependencies[name] = version;
  }
  return `${JSON.stringify(app, null, 2)}\n`;
}

/** The fixture's cdk.json, with the repository's feature flags: what `cdk init` gives a new app of this CDK version. */
function appCdkJson(): string {
  const repo = readJson<{ context: Record<string, unknown> }>(join(REPO, 'cdk.json'));
  const app = readJson<{ context?: Record<string, unknown> }>(join(FIXTURE, 'cdk.json'));
  return `${JSON.stringify({ ...app, context: { ...repo.context, ...app.context } }, null, 2)}\n`;
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: unknown }; Handler?: string } }>;
}

/** Every Lambda function's bundle in cdk.out must export its handler by name: Lambda finds `index.handler` by that name. */
function checkBundles(cdkOut: string): string[] {
  const checked: string[] = [];
  for (const file of readdirSync(cdkOut).filter((f) => f.endsWith('.template.json'))) {
    const template = readJson<Template>(join(cdkOut, file));
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const key = resource.Properties?.Code?.S3Key;
      const hash = typeof key === 'string' ? key.replace(/\.zip$/, '') : undefined;
      const bundle = hash && ['index.mjs', 'index.js'].map((name) => join(cdkOut, `asset.${hash}`, name)).find((path) => existsSync(path));
      if (!bundle) throw new StepFailed(`${file} ${id}: no bundle in cdk.out for its code (${JSON.stringify(key)})`);
      const exported = resource.Properties?.Handler?.split('.').pop() ?? 'handler';
      const source = readFileSync(bundle, 'utf8');
      // ESM (`export{x as handler}`), or esbuild's CommonJS (`__export(m, { handler: () => x })`, `exports.handler =`).
      const named = new RegExp(`export\\s*\\{[^}]*\\b${exported}\\b[^}]*\\}|__export\\([^,]+,\\s*\\{[^}]*\\b${exported}\\s*:|exports\\.${exported}\\s*=`);
      if (!named.test(source)) throw new StepFailed(`${file} ${id}: ${bundle} does not export \`${exported}\` by name`);
      checked.push(id);
    }
  }
  return checked;
}

/** `npx wristband start` in the app, until it prints its URL. */
function startLocalStack(appDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  // Its own process group, so that stopping it reaches node under npx.
  const child = spawn('npx', ['--no-install', 'wristband', 'start'], {
    cwd: appDir,
    env: { ...process.env, PORT: '0', DATA_DIR: join(appDir, '.data') },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new StepFailed(`wristband start printed no URL in ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolvePromise({ child, url, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new StepFailed(`wristband start exited ${code} before it listened:\n${output}`));
    });
  });
}

/** SIGTERM to its process group, SIGKILL after 10 s; resolves once every process in it has let go of the output pipes. */
function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    child.once('close', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    signal('SIGTERM');
  });
}

async function get(url: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const appFile = args.includes('--app') ? `app.${args[args.indexOf('--app') + 1]}.ts` : 'app.ts';
  const keep = args.includes('--keep');
  const work = mkdtempSync(join(tmpdir(), 'wristband-package-'));
  const appDir = join(work, 'articles-app');
  const started = Date.now();
  let stack: ChildProcess | undefined;
  try {
    const tarball = await step('npm pack (prepack compiles dist/)', () => {
      mustRun('npm', ['pack', '--pack-destination', work, '--loglevel=error'], REPO);
      const packed = readdirSync(work).find((f) => f.endsWith('.tgz'));
      if (!packed) throw new StepFailed(`npm pack wrote no tarball into ${work}`);
      return join(work, packed);
    });

    await step(`a new CDK app in ${appDir} (bin/${appFile})`, () => {
      cpSync(FIXTURE, appDir, { recursive: true });
      for (const file of readdirSync(join(appDir, 'bin'))) if (file !== appFile) rmSync(join(appDir, 'bin', file));
      if (!existsSync(join(appDir, 'bin', appFile))) throw new StepFailed(`fixture-app has no bin/${appFile}`);
      if (appFile !== 'app.ts') renameSync(join(appDir, 'bin', appFile), join(appDir, 'bin', 'app.ts'));
      writeFileSync(join(appDir, 'package.json'), appPackageJson(tarball));
      writeFileSync(join(appDir, 'cdk.json'), appCdkJson());
    });

    await step('npm install (the tarball; the rest from the cache first)', () =>
      mustRun('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], appDir),
    );

    await step("tsc --noEmit (the app against the package's declarations)", () => mustRun('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], appDir));

    await step('cdk synth with cdk-nag AwsSolutions', () => {
      const output = mustRun('npx', ['--no-install', 'cdk', 'synth', '--quiet'], appDir);
      const findings = output.split('\n').filter((line) => /AwsSolutions-/.test(line));
      if (findings.length > 0) throw new StepFailed(`cdk-nag reported ${findings.length} finding(s):\n${findings.join('\n')}`);
      const checked = checkBundles(join(appDir, 'cdk.out'));
      process.stdout.write(`    ${checked.length} Lambda bundles export their handler by name\n`);
    });

    await step('npx wristband start answers over HTTP', async () => {
      const started = await startLocalStack(appDir);
      stack = started.child;
      const root = await get(`${started.url}/`);
      if (root.status !== 200) throw new StepFailed(`GET / answered ${root.status}: ${JSON.stringify(root.json)}\n${started.output()}`);
      const jwks = await get(`${started.url}/.well-known/jwks.json`);
      const keys = (jwks.json as { keys?: unknown[] } | undefined)?.keys;
      if (jwks.status !== 200 || !Array.isArray(keys) || keys.length === 0) {
        throw new StepFailed(`GET /.well-known/jwks.json answered ${jwks.status}: ${JSON.stringify(jwks.json)}`);
      }
      // The app's cdk.json sets accessTokenTtlSeconds: the local stack takes it, as the deployed stack does.
      const expected = readJson<{ context: Record<string, unknown> }>(join(appDir, 'cdk.json')).context.accessTokenTtlSeconds;
      const login = await fetch(`${started.url}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'alice@example.com', password: 'alice-local-pass' }),
      });
      const expiresIn = ((await login.json()) as { expiresIn?: unknown }).expiresIn;
      if (login.status !== 200 || expiresIn !== expected) {
        throw new StepFailed(`POST /login answered ${login.status} with expiresIn ${String(expiresIn)}; cdk.json sets ${String(expected)}\n${started.output()}`);
      }
      process.stdout.write(`    ${started.url}: GET / 200, GET /.well-known/jwks.json 200 with ${keys.length} key(s), login expiresIn ${expiresIn} from cdk.json\n`);
      await stop(started.child);
      stack = undefined;
    });

    process.stdout.write(`\npackage test passed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const [name, seconds] of timings) process.stdout.write(`  ${seconds.toFixed(1).padStart(6)} s  ${name}\n`);
  } finally {
    if (stack) await stop(stack);
    if (keep) process.stdout.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\npackage test FAILED: ${error instanceof StepFailed ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

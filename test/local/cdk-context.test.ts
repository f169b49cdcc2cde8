/**
 * A setting written once: cdk.json's context reaches the local stack, an
 * environment variable still wins, and HOST picks the address it listens
 * on. The last test runs local/main.ts (what `npm start` and
 * `wristband start` run) in an app folder of its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../lambdas/contract/config';
import { MAIL_SETTINGS, SETTINGS, TOKEN_IDENTITY } from '../../lambdas/contract/settings';
import { localAppFromCdkJson } from '../../local/app';
import { applyCdkContext } from '../../local/cdk-context';
import { client } from '../support/http-client';

const ROOT = join(__dirname, '..', '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wristband-cdk-context-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cdkJson(context: unknown): void {
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx bin/app.ts', context }));
}

describe('applyCdkContext', () => {
  it("sets the variables of the settings cdk.json's context names, and nothing else", () => {
    cdkJson({ accessTokenTtlSeconds: 120, issuer: 'https://auth.example.com', '@aws-cdk/core:checkSecretUsage': true });
    const env: NodeJS.ProcessEnv = {};
    expect(applyCdkContext(env, dir)).toEqual(['accessTokenTtlSeconds', 'issuer']);
    expect(env).toEqual({ [SETTINGS.accessTokenTtlSeconds.env]: '120', [TOKEN_IDENTITY.issuer.env]: 'https://auth.example.com' });
  });

  it('leaves a variable the environment sets (an empty one counts as unset)', () => {
    cdkJson({ accessTokenTtlSeconds: 120, bcryptCost: 12 });
    const env: NodeJS.ProcessEnv = { [SETTINGS.accessTokenTtlSeconds.env]: '300', [SETTINGS.bcryptCost.env]: '' };
    expect(applyCdkContext(env, dir)).toEqual(['bcryptCost']);
    expect(env[SETTINGS.accessTokenTtlSeconds.env]).toBe('300');
    expect(env[SETTINGS.bcryptCost.env]).toBe('12');
  });

  it('takes emailVerification, and leaves the sender and the app page to the local stack (the outbox, the local demo page)', () => {
    cdkJson({ emailVerification: 'required', mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com/account' });
    const env: NodeJS.ProcessEnv = {};
    expect(applyCdkContext(env, dir)).toEqual(['emailVerification']);
    expect(env).toEqual({ [MAIL_SETTINGS.emailVerification.env]: 'required' });
  });

  it('no cdk.json, or one without context: nothing', () => {
    expect(applyCdkContext({}, dir)).toEqual([]);
    writeFileSync(join(dir, 'cdk.json'), '{"app":"x"}');
    expect(applyCdkContext({}, dir)).toEqual([]);
  });

  it('a cdk.json that is not JSON, or a value that is neither number nor string: one clear line', () => {
    writeFileSync(join(dir, 'cdk.json'), '{"context": {');
    expect(() => applyCdkContext({}, dir)).toThrow(ConfigError);
    expect(() => applyCdkContext({}, dir)).toThrow(/^cdk\.json in .* is not valid JSON: /);
    cdkJson({ bcryptCost: [12] });
    expect(() => applyCdkContext({}, dir)).toThrow('cdk.json context bcryptCost must be a number or a string, got [12]');
  });
});

describe('one cdk.json reader (local/cdk-json.ts) for the settings and the app', () => {
  /** The error each path of `npm start` gives: the settings (applyCdkContext) and the app (localAppFromCdkJson). */
  async function errorsOfBothPaths(): Promise<[unknown, unknown]> {
    let settings: unknown;
    try {
      applyCdkContext({}, dir);
    } catch (error) {
      settings = error;
    }
    const app = await localAppFromCdkJson(dir).then(
      () => undefined,
      (error: unknown) => error,
    );
    return [settings, app];
  }

  it.each([
    ['not JSON', '{"app": "npx tsx bin/app.ts", "context": {', /^cdk\.json in .* is not valid JSON: /],
    ['context not an object', '{"app": "npx tsx bin/app.ts", "context": [1]}', /^cdk\.json in .*: "context" must be an object$/],
  ])('a broken cdk.json (%s) gives the same one-line ConfigError on both paths', async (_name, text, message) => {
    writeFileSync(join(dir, 'cdk.json'), text);
    const [settings, app] = await errorsOfBothPaths();
    expect(settings).toBeInstanceOf(ConfigError);
    expect(app).toBeInstanceOf(ConfigError);
    expect((settings as Error).message).toMatch(message);
    expect((app as Error).message).toBe((settings as Error).message);
    expect((app as Error).message).not.toContain('\n');
  });
});

function startMain(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'local', 'main.ts')], { cwd: dir, env: { ...process.env, ...env } });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1];
      if (port) resolve({ child, port: Number(port) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`local/main.ts exited ${code}:\n${output}`)));
  });
}

it("the local stack listens on HOST only, and takes the app's cdk.json settings", async () => {
  cdkJson({ accessTokenTtlSeconds: 600 });
  // The app cdk.json names: this repository's, so the local stack has a Wristband to serve.
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'app.ts'), `import ${JSON.stringify(join(ROOT, 'bin', 'wristband.ts'))};\n`);
  const { child, port } = await startMain({ HOST: '127.0.0.2', PORT: '0', DATA_DIR: join(dir, '.data'), BCRYPT_COST: '4' });
  try {
    const api = client(`http://127.0.0.2:${port}`);
    expect((await api('GET', '/')).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    const login = await api('POST', '/login', { body: { email: 'alice@example.com', password: 'alice-local-pass' } });
    expect(login.status).toBe(200);
    expect(login.json.expiresIn).toBe(600);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

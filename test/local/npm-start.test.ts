/**
 * The newcomer's command, as the README gives it: `npm start` in a child
 * process, the curl walkthrough against it, then SIGTERM: a clean exit,
 * and the data is there on the next start.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from '../support/http-client';

const ROOT = join(__dirname, '..', '..');

function start(dataDir: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  // Its own process group, so a signal reaches npm and node together, as Ctrl-C in a terminal does.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    // Metrics left to the local stack's own default (the test setup turns them off for every test).
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, BCRYPT_COST: '4', POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: undefined },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print its URL in time:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve({ child, url: match[1] as string, output: () => output });
      }
    }, 50);
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`npm start exited early with ${code}:\n${output}`));
    });
  });
}

/**
 * Signals the process group and resolves once every process in it has let
 * go of the output pipe. npm's own exit status on a signal is npm's
 * business; what matters is that the server said it stopped cleanly.
 */
function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    process.kill(-(child.pid as number), signal);
  });
}

it('starts, serves the walkthrough, prints the demo accounts, stops cleanly on SIGTERM and Ctrl-C, and keeps data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wristband-npm-start-'));
  const first = await start(dataDir);
  expect(first.output()).toContain('alice@example.com');
  expect(first.output()).toContain('admin-local-pass');
  // The version to cite, from package.json.
  expect(first.output()).toContain(`wristband ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} local stack listening on http://localhost:`);
  const api = client(first.url);
  const loginResponse = await api('POST', '/login', { body: { email: 'alice@example.com', password: 'alice-local-pass' } });
  expect(loginResponse.status).toBe(200);
  const token = loginResponse.json.accessToken as string;
  // A login counts a metric; the local stack keeps EMF lines out of its output.
  expect(first.output()).not.toContain('"_aws"');
  const profile = await api('GET', '/api/profile', { token });
  expect(profile.status).toBe(200);
  expect(profile.json.user.email).toBe('alice@example.com');
  const order = await api('POST', '/api/orders', { token, body: { items: [{ sku: 'walkthrough', quantity: 1 }] } });
  expect(order.status).toBe(201);
  await stop(first.child, 'SIGTERM');
  expect(first.output()).toContain('SIGTERM: stopping');
  expect(first.output()).toContain('stopped; everything written is kept');

  const second = await start(dataDir);
  try {
    const orders = await client(second.url)('GET', '/api/orders', { token });
    expect(orders.status).toBe(200);
    expect(orders.json.orders).toHaveLength(1);
  } finally {
    await stop(second.child, 'SIGINT');
  }
  expect(second.output()).toContain('stopped; everything written is kept');
}, 120_000);

it('stops cleanly when a supervisor signals only npm, which does not pass the signal on', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wristband-npm-start-'));
  const running = await start(dataDir);
  await new Promise<void>((resolve) => {
    running.child.once('close', () => resolve());
    running.child.kill('SIGTERM'); // npm's own process only
  });
  expect(running.output()).toContain('parent process exited: stopping');
  expect(running.output()).toContain('stopped; everything written is kept');
}, 60_000);

/** `npm start` that is expected to refuse: its exit status and everything it printed. */
function startExpectingFailure(dataDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: '0', DATA_DIR: dataDir, BCRYPT_COST: '4', POWERTOOLS_LOG_LEVEL: 'WARN' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('a data directory it cannot use', () => {
  it('refuses a second npm start on the same DATA_DIR in one line naming the process that holds it, and the first keeps serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wristband-npm-start-'));
    const first = await start(dataDir);
    try {
      const holder = JSON.parse(readFileSync(join(dataDir, 'local-stack.json'), 'utf8')).pid as number;

      const second = await startExpectingFailure(dataDir);

      expect(second.code).not.toBe(0);
      expect(second.output.trim()).toBe(
        `wristband local stack failed to start: the data directory ${dataDir} is in use by process ${holder} (another npm start?): stop it, or start this one with another DATA_DIR`,
      );
      expect((await client(first.url)('POST', '/login', { body: { email: 'alice@example.com', password: 'alice-local-pass' } })).status).toBe(200);
    } finally {
      await stop(first.child, 'SIGTERM');
    }
  }, 120_000);

  it('says a damaged database is damaged, and how to start over, instead of a stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wristband-npm-start-'));
    await stop((await start(dataDir)).child, 'SIGTERM');
    writeFileSync(join(dataDir, 'dynamodb', 'CURRENT'), 'MANIFEST-999999\n'); // names a manifest that is not there

    const result = await startExpectingFailure(dataDir);

    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`the database in ${join(dataDir, 'dynamodb')} is damaged and cannot be opened`);
    expect(result.output).toContain(`mv ${join(dataDir, 'dynamodb')} ${join(dataDir, 'dynamodb')}.damaged`);
    expect(result.output).not.toMatch(/^\s+at /m);
  }, 120_000);
});

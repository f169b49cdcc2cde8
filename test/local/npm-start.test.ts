/**
 * The newcomer's command, as the README gives it: `npm start` in a child
 * process, the curl walkthrough against it, then SIGTERM: a clean exit,
 * and the data is there on the next start.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

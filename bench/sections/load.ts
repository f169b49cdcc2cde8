/**
 * Figure 6: the local stack under load. `npm start`'s own entry point
 * (local/main.ts, through tsx) in a child process, on a free port with a
 * fresh data directory; alice logs in; then autocannon sends
 * `GET /api/profile` with her token over `loadConnections` connections for
 * `loadSeconds`, `loadRuns` times. Requests per second (autocannon's mean
 * of per-second counts) and p99 latency, medians of the runs.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/wristband-function';
import { progress } from '../children';
import { median } from '../stats';
import type { BenchContext } from './context';

export interface LoadRun {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface LoadFigures {
  readonly route: string;
  readonly connections: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly runs: LoadRun[];
}

const DEMO = { email: 'alice@example.com', password: 'alice-local-pass' };

export async function benchLoad(ctx: BenchContext): Promise<LoadFigures> {
  let started: { child: ChildProcess; url: string } | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await startLocalStack(join(ctx.workDir, `local-stack-${attempt}`));
    } catch (error) {
      // Seen once under heavy load: the local stack's first query can beat dynalite's table activation.
      if (attempt === 2) throw error;
      progress(`load: the local stack did not start (${error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error)}); retrying once`);
    }
  }
  const { child, url } = started;
  try {
    const token = await login(url);
    const target = { url: `${url}/api/profile`, headers: { authorization: `Bearer ${token}` } };
    const { loadConnections: connections, loadSeconds: seconds } = ctx.settings;
    if (ctx.settings.loadWarmupSeconds > 0) await autocannon({ ...target, connections, duration: ctx.settings.loadWarmupSeconds });
    const runs: LoadRun[] = [];
    for (let run = 1; run <= ctx.settings.loadRuns; run++) {
      progress(`load: run ${run}/${ctx.settings.loadRuns}, ${connections} connections for ${seconds} s`);
      const result = await autocannon({ ...target, connections, duration: seconds });
      runs.push({
        requestsPerSecond: result.requests.average,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    }
    return {
      route: 'GET /api/profile',
      connections,
      seconds,
      requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      runs,
    };
  } finally {
    await stop(child);
  }
}

/** `npm start` in a child process on a free port and a fresh data directory; resolves once it prints its URL. */
async function startLocalStack(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'stdout.log');
  const log = openSync(logFile, 'w');
  progress('load: starting the local stack (npm start)');
  // Its request log goes to a file, not through a pipe this process would have to drain while it measures.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, POWERTOOLS_DEV: 'false' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  try {
    return { child, url: (await localStackUrl(child, logFile)).replace('//localhost:', '//127.0.0.1:') };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function localStackUrl(child: ChildProcess, logFile: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const found = /listening on (http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (found?.[1]) return found[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the local stack did not print its URL within 90 s');
}

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO) });
  const body = (await response.json()) as { accessToken?: string };
  if (response.status !== 200 || !body.accessToken) throw new Error(`demo login answered ${response.status}`);
  return body.accessToken;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

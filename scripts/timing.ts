/**
 * `npm run timing`: does a login take as long for an unknown email as for a
 * wrong password? (The contract says "about the same time"; a difference
 * would let anyone enumerate accounts.) Starts the local stack in process
 * (same handlers, same gateway, dynalite) at the deployed default bcrypt
 * cost, then times TIMING_TRIES (default 50) logins of each kind over
 * HTTP, interleaved so that load from elsewhere hits both alike, and prints
 * the medians. Exits 1 when they differ by 10 % or more.
 *
 * A measurement, not a test: it needs a quiet machine, and its figures go
 * into docs/security.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SETTINGS } from '../lambdas/contract/settings';

const TRIES = Number(process.env.TIMING_TRIES ?? 50);
const WARM_UP = 5;
const LIMIT_PERCENT = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  if (!Number.isInteger(TRIES) || TRIES < 5) throw new Error('TIMING_TRIES must be an integer of at least 5');
  const cost = SETTINGS.bcryptCost.default;
  Object.assign(process.env, {
    BCRYPT_COST: String(cost),
    // Enough room that the wrong-password series never locks the account (a locked login skips bcrypt: that is not what is measured).
    LOGIN_MAX_ATTEMPTS: String(SETTINGS.loginMaxAttempts.max),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  if (TRIES + WARM_UP >= SETTINGS.loginMaxAttempts.max) throw new Error(`at most ${SETTINGS.loginMaxAttempts.max - WARM_UP - 1} tries: more would lock the account`);

  const dataDir = mkdtempSync(join(tmpdir(), 'wristband-timing-'));
  const { startLocalStack, DEMO_ACCOUNTS } = await import('../local/stack');
  const stack = await startLocalStack({ dataDir, port: 0 });
  const account = DEMO_ACCOUNTS[0];
  const login = async (email: string, password: string): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${stack.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    if (response.status !== 401) throw new Error(`expected 401 invalid_credentials, got ${response.status}`);
    return ms;
  };
  const unknownEmail = (i: number) => `nobody-${process.pid}-${i}@example.com`;
  const wrongPassword = (i: number) => `not the password, try ${i}`;

  try {
    for (let i = 0; i < WARM_UP; i++) {
      await login(unknownEmail(-1 - i), wrongPassword(i));
      await login(account.email, wrongPassword(-1 - i));
    }
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      // Alternate which goes first, so neither series always follows the other.
      if (i % 2 === 0) {
        unknown.push(await login(unknownEmail(i), wrongPassword(i)));
        wrong.push(await login(account.email, wrongPassword(i)));
      } else {
        wrong.push(await login(account.email, wrongPassword(i)));
        unknown.push(await login(unknownEmail(i), wrongPassword(i)));
      }
    }

    const a = median(unknown);
    const b = median(wrong);
    const difference = (Math.abs(a - b) / Math.max(a, b)) * 100;
    const row = (name: string, values: number[]) =>
      `  ${name.padEnd(16)} median ${median(values).toFixed(1).padStart(7)} ms   p10 ${percentile(values, 10).toFixed(1).padStart(7)} ms   p90 ${percentile(values, 90).toFixed(1).padStart(7)} ms`;
    const [load1] = loadavg();
    process.stdout.write(
      [
        `login timing: ${TRIES} tries each over HTTP against the in-process local stack, bcrypt cost ${cost}`,
        `  (node ${process.version}, ${cpus().length} CPUs, load average ${load1?.toFixed(2)} at the end)`,
        row('unknown email', unknown),
        row('wrong password', wrong),
        `  difference of the medians: ${difference.toFixed(1)} % (limit ${LIMIT_PERCENT} %): ${difference < LIMIT_PERCENT ? 'OK' : 'TOO DIFFERENT'}`,
        '',
      ].join('\n'),
    );
    if (difference >= LIMIT_PERCENT) process.exitCode = 1;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

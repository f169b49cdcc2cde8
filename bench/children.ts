/** Running the bench's child processes: plain `node <script>`, one at a time, output collected. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_FILE_ENV } from './workers/protocol';

export interface ChildOptions {
  readonly env: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs `node <script> ...args` with exactly `env` (plus PATH), and returns its reported result. */
export function runChild<T>(script: string, args: readonly string[], options: ChildOptions): Promise<T> {
  const resultFile = join(tmpdir(), `wristband-bench-result-${randomUUID()}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env, [RESULT_FILE_ENV]: resultFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Only the tail of stdout is kept, for error messages: the authorizer's metric lines are many and not ours to read.
    let tail = '';
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-1000)));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        rmSync(resultFile, { force: true });
        reject(new Error(`${script} exited with ${signal ?? code}:\n${Buffer.concat(err).toString('utf8').slice(-3000)}\n${tail}`));
        return;
      }
      try {
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as T);
      } catch {
        reject(new Error(`${script} reported no result:\n${tail}`));
      } finally {
        rmSync(resultFile, { force: true });
      }
    });
  });
}

/** Progress goes to stderr, so that stdout carries only the table (`--markdown > table.md`). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

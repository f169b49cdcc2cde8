/** Running the bench's child processes: plain `node <script>`, one at a time, output collected. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_FILE_ENV } from './workers/protocol';

export interface ChildOptions {
  readonly env: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs `node <script> ...args` with exactly `env` (plus PATH), and returns its reported result. */
export function runChild<T>(script: string, args: readonly string[], options: ChildOptions): Promise<T> {
  const id = randomUUID();
  const resultFile = join(tmpdir(), `wristband-bench-result-${id}.json`);
  // stdout goes to a file, not a pipe to this process: the authorizer writes a metric line per decision, and
  // through a pipe each write waited on this (busy) process to read it, which timed the bench, not the authorizer.
  const stdoutFile = join(tmpdir(), `wristband-bench-stdout-${id}.log`);
  const stdoutFd = openSync(stdoutFile, 'w');
  /** The last kilobyte of stdout, for error messages: the authorizer's metric lines are many and not ours to read. */
  const tail = () => {
    const fd = openSync(stdoutFile, 'r');
    try {
      const size = fstatSync(fd).size;
      const bytes = Buffer.alloc(Math.min(size, 1000));
      readSync(fd, bytes, 0, bytes.length, size - bytes.length);
      return bytes.toString('utf8');
    } finally {
      closeSync(fd);
    }
  };
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env, [RESULT_FILE_ENV]: resultFile },
      stdio: ['ignore', stdoutFd, 'pipe'],
    });
    closeSync(stdoutFd);
    const err: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      rmSync(stdoutFile, { force: true });
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const output = tail();
      rmSync(stdoutFile, { force: true });
      if (code !== 0) {
        rmSync(resultFile, { force: true });
        reject(new Error(`${script} exited with ${signal ?? code}:\n${Buffer.concat(err).toString('utf8').slice(-3000)}\n${output}`));
        return;
      }
      try {
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as T);
      } catch {
        reject(new Error(`${script} reported no result:\n${output}`));
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

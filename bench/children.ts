/** Running the bench's child processes: plain `node <script>`, one at a time, output collected. */
import { spawn } from 'node:child_process';
import { parseReport } from './workers/protocol';

export interface ChildOptions {
  readonly env: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs `node <script> ...args` with exactly `env` (plus PATH), and returns its reported result. */
export function runChild<T>(script: string, args: readonly string[], options: ChildOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        reject(new Error(`${script} exited with ${signal ?? code}:\n${Buffer.concat(err).toString('utf8').slice(-3000)}\n${stdout.slice(-1000)}`));
        return;
      }
      try {
        resolve(parseReport<T>(stdout));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Progress goes to stderr, so that stdout carries only the table (`--markdown > table.md`). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

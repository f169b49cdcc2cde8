import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__DYNALITE__;
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  const run = globalThis.__RUN_TMPDIR__;
  if (run) {
    if (run.previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = run.previous;
    // Retries: a child process of the last test may still be letting go of a file in it.
    rmSync(run.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/**
 * One in-memory dynalite for the whole jest run, reached over HTTP like the
 * real service. Workers inherit DYNALITE_ENDPOINT from this process; each
 * test file creates its own table (see test/support/environment.ts).
 *
 * Also one temporary directory for the run, made TMPDIR for every worker
 * and every child process they start: the key folders, DATA_DIRs and
 * cdk.out* folders tests create land in it, and globalTeardown removes it
 * whole, so a run leaves nothing behind in the machine's temp folder.
 */
import dynalite from 'dynalite';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

declare global {
  // eslint-disable-next-line no-var
  var __DYNALITE__: Server | undefined;
  // eslint-disable-next-line no-var
  var __RUN_TMPDIR__: { readonly dir: string; readonly previous: string | undefined } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wristband-test-run-'));
  globalThis.__RUN_TMPDIR__ = { dir, previous: process.env.TMPDIR };
  // os.tmpdir() reads TMPDIR on every call, and workers and child processes inherit it.
  process.env.TMPDIR = dir;

  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  globalThis.__DYNALITE__ = server;
  process.env.DYNALITE_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * One in-memory dynalite for the whole jest run, reached over HTTP like the
 * real service. Workers inherit DYNALITE_ENDPOINT from this process; each
 * test file creates its own table (see test/support/environment.ts).
 */
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

declare global {
  // eslint-disable-next-line no-var
  var __DYNALITE__: Server | undefined;
}

export default async function globalSetup(): Promise<void> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  globalThis.__DYNALITE__ = server;
  process.env.DYNALITE_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * One moto server for the AWS suite, reached over HTTP like the real
 * services. Workers inherit MOTO_ENDPOINT; each test file uses its own
 * parameter and secret names, so files can run in parallel.
 */
import { startMoto, type Moto } from './moto';

declare global {
  // eslint-disable-next-line no-var
  var __MOTO__: Moto | undefined;
}

export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  globalThis.__MOTO__ = moto;
  process.env.MOTO_ENDPOINT = moto.endpoint;
}

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { screenshotDir } from './paths';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__CHROMIUM__?.close();
  const dir = screenshotDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  process.stdout.write(`\nscreenshots (${files.length}):\n${files.map((f) => `  ${relative(process.cwd(), join(dir, f))}\n`).join('')}`);
}

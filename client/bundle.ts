/**
 * Builds wristband/client into one ESM file with esbuild (a dev dependency): the local stack serves it to
 * the demo page, `npm run client:size` measures it, and the package build writes it to a file. Node-only;
 * not part of the client itself.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CLIENT_ENTRY = join(__dirname, 'index.ts');

/** The client as one ES module (browsers from 2022 on, Node 20+). */
export async function bundleClient(options: { minify?: boolean; outfile?: string } = {}): Promise<string> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'neutral',
    minify: options.minify ?? true,
    legalComments: 'none',
    write: options.outfile !== undefined,
    ...(options.outfile ? { outfile: options.outfile } : {}),
    logLevel: 'silent',
  });
  if (options.outfile) {
    const { readFile } = await import('node:fs/promises');
    return readFile(options.outfile, 'utf8');
  }
  return (result.outputFiles?.[0]?.text ?? '') as string;
}

/** Bytes minified and minified + gzipped (level 9, as a CDN would serve it). */
export async function clientSize(): Promise<{ minified: number; gzipped: number }> {
  const code = Buffer.from(await bundleClient({ minify: true }));
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (require.main === module) {
  const outfile = process.argv[2];
  (outfile ? bundleClient({ outfile }).then(() => clientSize()) : clientSize()).then(
    ({ minified, gzipped }) => process.stdout.write(`${outfile ? `wrote ${outfile}; ` : ''}wristband/client: ${minified} bytes minified, ${gzipped} bytes minified + gzipped\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

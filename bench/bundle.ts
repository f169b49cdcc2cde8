/**
 * Bundles exactly as `cdk synth` does: WristbandFunction hands these
 * options to NodejsFunction, which runs the esbuild CLI as
 * `esbuild --bundle <entry> --target=node22 --platform=node --format=esm
 * --outfile=<dir>/index.mjs --minify --sourcemap --sources-content=false
 * --log-level=warning --banner:js=<banner> --main-fields=module,main`
 * (no externals). test/bench/bundle.test.ts checks that a function bundled
 * here is byte for byte the asset CDK builds.
 */
import { build, type BuildOptions } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ESBUILD_TARGET, ESM_REQUIRE_BANNER, PROJECT_ROOT } from '../lib/constructs/wristband-function';

/** The options WristbandFunction gives NodejsFunction, as esbuild's API spells them. */
export function lambdaBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    outfile: join(outdir, 'index.mjs'),
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'warning',
    absWorkingDir: PROJECT_ROOT,
  };
}

export interface Bundle {
  /** The handler module to import. */
  readonly file: string;
  /** Minified bytes of index.mjs (the source map is not loaded at run time unless --enable-source-maps). */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes in the output per package or source file, largest first (esbuild's metafile). */
  readonly inputs: readonly { readonly input: string; readonly bytes: number }[];
}

/** Bundles one Lambda entry point into `outdir` with the stack's options. */
export async function bundleLambda(entry: string, outdir: string): Promise<Bundle> {
  const result = await build({ ...lambdaBuildOptions(entry, outdir), metafile: true });
  const file = join(outdir, 'index.mjs');
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('index.mjs'))?.[1];
  const byInput = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path;
    byInput.set(pkg, (byInput.get(pkg) ?? 0) + bytesInOutput);
  }
  const code = readFileSync(file);
  return {
    file,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    inputs: [...byInput].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}

/** The bench's own child-process scripts: plain ESM for Node, nothing minified, no banner games. */
export async function bundleScript(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    outfile,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'warning',
    absWorkingDir: PROJECT_ROOT,
  });
  return outfile;
}
